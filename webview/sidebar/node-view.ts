import type { HostEvents } from '../../src/protocol/webview';
import type { ExplainedTensor, ExplainedWeight, NodeExplanation } from '../../src/protocol/node-explanation';
import { h } from '../shell/dom';
import { formatCount, formatShape } from '../overview/format';

/**
 * The side panel's "Selected node" section: what the operator computes in plain words (text written by us, sent
 * by the host), its attributes, tensors, parameter count and the health of its weights.
 */
export function renderSelectedNode(box: HTMLElement, p: HostEvents['nodeSelected'] | null): void {
  box.classList.toggle('mi-muted', !p);
  if (!p) {
    box.replaceChildren('No node selected. Select a node in the Graph tab.');
    return;
  }
  if (p.error) {
    box.replaceChildren(h('h3', { id: 'mi-side-node-title' }, p.nodeId), h('p', { class: 'mi-side-node-error mi-wrap' }, p.error));
    return;
  }
  if (!p.explanation) {
    box.replaceChildren(h('h3', { id: 'mi-side-node-title' }, p.nodeId), h('p', { class: 'mi-muted' }, 'Loading details…'));
    return;
  }
  box.replaceChildren(...explanation(p.explanation));
}

function explanation(x: NodeExplanation): HTMLElement[] {
  const domain = x.domain && x.domain !== 'ai.onnx' ? ` (${x.domain})` : '';
  const out: HTMLElement[] = [
    h('h3', { id: 'mi-side-node-title', title: x.nodeId }, `${x.opType}${domain}`, x.name ? h('span', { class: 'mi-muted mi-side-node-name' }, ` — ${x.name}`) : null),
    h('p', { id: 'mi-side-node-description', class: 'mi-side-node-description' }, x.description),
    h('dl', { class: 'mi-facts mi-facts-compact' },
      h('dt', {}, 'Parameters'), h('dd', { id: 'mi-side-node-params' }, formatCount(x.parameterCount)),
      x.graph ? [h('dt', {}, 'Graph'), h('dd', { class: 'mi-mono' }, x.graph)] : null),
  ];
  if (x.attributes.length) {
    out.push(h('h4', {}, 'Attributes'), h('ul', { id: 'mi-side-node-attributes', class: 'mi-side-list mi-mono' },
      x.attributes.map((a) => h('li', { class: 'mi-wrap' }, a)),
      x.attributesOmitted ? h('li', { class: 'mi-muted' }, `… and ${x.attributesOmitted} more (see the Graph tab)`) : null));
  }
  out.push(tensors('Inputs', x.inputs), tensors('Outputs', x.outputs));
  out.push(h('h4', {}, 'Weights'), x.weights.length
    ? h('ul', { id: 'mi-side-node-weights', class: 'mi-side-list mi-side-weights' }, x.weights.map(weight))
    : h('p', { id: 'mi-side-node-weights', class: 'mi-muted' }, 'This node reads no weights.'));
  if (x.healthNote) out.push(h('p', { class: 'mi-muted mi-wrap' }, x.healthNote));
  return out;
}

function tensors(label: string, ts: ExplainedTensor[]): HTMLElement {
  return h('div', {}, h('h4', {}, label), ts.length
    ? h('ul', { class: 'mi-side-list' }, ts.map((t) =>
      h('li', {}, h('span', { class: 'mi-mono' }, t.name), h('span', { class: 'mi-muted' }, ` ${t.dtype ?? '?'} ${t.shape === undefined ? '' : formatShape(t.shape)}`))))
    : h('p', { class: 'mi-muted' }, 'none'));
}

function weight(w: ExplainedWeight): HTMLElement {
  const health = w.health === undefined
    ? h('span', { class: 'mi-side-health mi-muted', 'data-health': 'pending' }, 'health: checking…')
    : w.health === 'ok'
      ? h('span', { class: 'mi-side-health', 'data-health': 'ok' }, '✓ healthy')
      : h('span', { class: 'mi-side-health mi-wrap', 'data-health': w.health.severity }, `${w.health.severity === 'info' ? 'ℹ' : '⚠'} ${w.health.message}`);
  return h('li', { 'data-weight': w.name },
    h('span', { class: 'mi-mono' }, w.name),
    h('span', { class: 'mi-muted' }, ` ${w.dtype ?? '?'} ${w.shape === undefined ? '' : formatShape(w.shape)} · ${formatCount(w.count)} params`),
    h('br', {}), health);
}
