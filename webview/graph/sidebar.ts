import type { GraphNodeDetails, GraphTensorInfo } from '../../src/protocol/graph';
import { formatCount } from './renderer';
import type { GraphViewModel } from './view-model';

export interface SidebarActions {
  showWeight(tensorName: string): void;
  openSubgraph(graphId: string): void;
  /** Opens the Run tab's Activations section on this value. */
  showActivation?(valueName: string): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function table(rows: [string, string][]): HTMLTableElement {
  const t = el('table');
  for (const [k, v] of rows) {
    const tr = t.insertRow();
    tr.append(el('td', k, 'k'), el('td', v));
  }
  return t;
}

const shapeText = (t: GraphTensorInfo) => `${t.dtype ?? '?'} ${t.shape ? `[${t.shape.join(', ')}]` : '[?]'}`;

/** The properties sidebar: everything is text content (never HTML), because names come from untrusted files. */
export function renderNodeDetails(host: HTMLElement, d: GraphNodeDetails, actions: SidebarActions): void {
  host.replaceChildren();
  host.append(el('h3', d.opType), table([
    ['name', d.name || '(unnamed)'],
    ['domain', d.domain || 'ai.onnx (default)'],
    ['scope', d.scope || '(top level)'],
    ['id', d.id],
  ]));
  if (d.doc) host.append(el('p', d.doc, 'w'));
  if (d.attributes.length) {
    host.append(el('h4', 'Attributes'), table(d.attributes.map((a) => [a.name, a.value])));
  }
  const tensors = (title: string, list: GraphTensorInfo[]) => {
    if (!list.length) return;
    host.append(el('h4', title));
    const t = el('table');
    for (const x of list.filter((x) => !x.weight)) {
      const tr = t.insertRow();
      tr.append(el('td', x.name, 'k'), el('td', shapeText(x)));
    }
    host.append(t);
  };
  tensors('Inputs', d.inputs);
  tensors('Outputs', d.outputs);
  if (actions.showActivation && d.outputs.length) {
    for (const o of d.outputs.filter((x) => !x.weight)) {
      const b = el('button', d.outputs.length > 1 ? `Activation stats: ${o.name}` : 'Activation stats', 'mi-act-link');
      b.dataset.value = o.name;
      b.addEventListener('click', () => actions.showActivation?.(o.name));
      host.append(b);
    }
  }
  const weights = d.inputs.filter((x) => x.weight);
  if (weights.length) {
    host.append(el('h4', 'Weights'));
    const t = el('table');
    for (const w of weights) {
      const tr = t.insertRow();
      const tensor = w.weight!.tensor ?? w.name;
      const link = el('a', tensor === w.name ? w.name : `${w.name} = ${tensor}`);
      link.title = 'Show histogram';
      link.tabIndex = 0;
      link.dataset.weight = tensor;
      link.addEventListener('click', () => actions.showWeight(tensor));
      link.addEventListener('keydown', (e) => { if (e.key === 'Enter') actions.showWeight(tensor); });
      const td = el('td');
      td.append(link);
      tr.append(td, el('td', `${shapeText(w)} · ${formatCount(w.weight!.elementCount)} params`));
    }
    host.append(t);
  }
  if (d.subgraphs.length) {
    host.append(el('h4', 'Bodies'));
    for (const s of d.subgraphs) {
      const b = el('button', `Open ${s.attribute} (${s.nodeCount} nodes)`);
      b.addEventListener('click', () => actions.openSubgraph(s.graph));
      host.append(b, el('br'));
    }
  }
}

/** A group's summary: size and its most common ops, computed locally (no engine round trip). */
export function renderGroupDetails(host: HTMLElement, vm: GraphViewModel, scope: number): void {
  const counts = new Map<string, number>();
  const stack = [scope];
  let weights = 0;
  while (stack.length) {
    const s = stack.pop()!;
    stack.push(...vm.childScopes[s]);
    for (const i of vm.childNodes[s]) {
      const n = vm.payload.nodes[i];
      if (n.kind !== 'op') continue;
      const op = vm.payload.ops[n.op];
      counts.set(op, (counts.get(op) ?? 0) + 1);
      weights += n.params ?? 0;
    }
  }
  host.replaceChildren();
  const hint = vm.payload.scopeHints[scope];
  host.append(el('h3', vm.payload.scopes[scope] || 'graph'), table([
    ['nodes', String(vm.scopeSize[scope])],
    ['parameters', formatCount(weights)],
    ['repeated block', hint >= 0 ? `yes (pattern ${hint + 1})` : 'no'],
  ]));
  host.append(el('h4', 'Ops'), table([...counts].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([op, c]) => [op, String(c)])));
}
