import type { TensorListRow } from '../../src/protocol/graph';
import type { TabContext } from '../shell/tab';
import { h } from '../shell/dom';
import { formatCount, formatShape } from '../overview/format';

/**
 * The Graph tab of a file that holds weights but no graph (SafeTensors, GGUF, PyTorch state dicts): says so, and
 * shows the tensors as a tree by name scope ("model.layers.3.mlp.up_proj.weight" → model › layers › 3 › mlp),
 * each scope with its tensor and parameter counts; a tensor opens in the Weights tab.
 */

interface Scope {
  name: string;
  path: string;
  scopes: Map<string, Scope>;
  tensors: TensorListRow[];
  count: number;
  params: number;
}

const newScope = (name: string, path: string): Scope => ({ name, path, scopes: new Map(), tensors: [], count: 0, params: 0 });

export function buildTensorTree(rows: readonly TensorListRow[]): Scope {
  const root = newScope('', '');
  for (const t of rows) {
    const parts = t.name.split(/[./]/).filter(Boolean);
    let s = root;
    s.count++;
    s.params += t.elements;
    for (const part of parts.slice(0, -1)) {
      const path = s.path ? `${s.path}.${part}` : part;
      let next = s.scopes.get(part);
      if (!next) s.scopes.set(part, (next = newScope(part, path)));
      s = next;
      s.count++;
      s.params += t.elements;
    }
    s.tensors.push(t);
  }
  return root;
}

/** A scope with one child scope and no tensors of its own is shown joined with it (model.layers → one row). */
function collapseChain(s: Scope): { label: string; scope: Scope } {
  let label = s.name;
  let cur = s;
  while (cur.tensors.length === 0 && cur.scopes.size === 1) {
    cur = [...cur.scopes.values()][0];
    label += `.${cur.name}`;
  }
  return { label, scope: cur };
}

function renderScope(s: Scope, ctx: TabContext, depth: number): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (const child of s.scopes.values()) {
    const { label, scope } = collapseChain(child);
    const details = h('details', { class: 'mi-tree-scope', 'data-path': scope.path }, h('summary', {},
      h('span', { class: 'mi-tree-name' }, label),
      h('span', { class: 'mi-muted' }, ` ${scope.count} tensor${scope.count === 1 ? '' : 's'}, ${formatCount(scope.params)} parameters`)));
    if (depth < 1) details.open = true;
    // Children are built when first opened: an LLM has thousands of tensors.
    let filled = false;
    const fill = () => {
      if (filled) return;
      filled = true;
      details.append(h('div', { class: 'mi-tree-children' }, ...renderScope(scope, ctx, depth + 1)));
    };
    if (details.open) fill();
    details.addEventListener('toggle', fill);
    out.push(details);
  }
  for (const t of s.tensors) {
    const leaf = t.name.split(/[./]/).pop() || t.name;
    const row = h('button', { class: 'mi-tree-tensor', type: 'button', title: `${t.name}: open in Weights`, 'data-tensor': t.name },
      h('span', { class: 'mi-tree-name' }, leaf), h('span', { class: 'mi-muted' }, ` ${t.dtype} ${formatShape(t.shape)}`));
    row.addEventListener('click', () => ctx.navigate('weights', t.name));
    out.push(row);
  }
  return out;
}

export async function mountTensorTree(container: HTMLElement, ctx: TabContext): Promise<void> {
  const status = h('p', { class: 'mi-muted' }, 'Loading tensors…');
  container.replaceChildren(h('div', { class: 'mi-tensor-tree', id: 'mi-tensor-tree' },
    h('p', { id: 'mi-graph-none' }, 'This file holds weights only: there is no computation graph to draw. Its tensors, grouped by name:'),
    status));
  try {
    const { tensors, total } = await ctx.rpc.call('getTensorList', {});
    const tree = buildTensorTree(tensors);
    status.replaceWith(
      ...(total > tensors.length ? [h('p', { class: 'mi-warnings' }, `The first ${tensors.length} of ${total} tensors are shown.`)] : []),
      h('div', { class: 'mi-tree-children' }, ...renderScope(tree, ctx, 0)));
  } catch (e) {
    status.textContent = `Tensors could not be listed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
