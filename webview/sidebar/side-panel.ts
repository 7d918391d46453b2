import type { ModelSummary } from '../../src/protocol/summary';
import type { Connection } from '../messaging/connect';
import { h } from '../shell/dom';
import { formatBytes, formatCount, formatName, formatShape } from '../overview/format';

/**
 * The Explanations side view: a short summary of the model in the active editor, the selected node, and
 * the last explanation (filled in by the saliency feature; a placeholder until then).
 */
export function mountSidePanel(root: HTMLElement, { rpc }: Connection): void {
  const summaryBox = h('section', { id: 'mi-side-summary', class: 'mi-side-section' });
  const selected = h('p', { id: 'mi-side-selected', class: 'mi-muted' }, 'No node selected. Select a node in the Graph tab.');
  const explanation = h('p', { id: 'mi-side-explanation', class: 'mi-muted' }, 'No explanation yet. Run “Explain Prediction” on a model.');
  root.replaceChildren(
    summaryBox,
    h('section', { class: 'mi-side-section' }, h('h2', {}, 'Selected node'), selected),
    h('section', { class: 'mi-side-section' }, h('h2', {}, 'Last explanation'), explanation),
  );
  renderSummary(summaryBox, null);

  rpc.on('activeModel', ({ summary }) => {
    renderSummary(summaryBox, summary);
    selected.textContent = 'No node selected. Select a node in the Graph tab.';
    selected.classList.add('mi-muted');
  });
  rpc.on('nodeSelected', ({ nodeId }) => {
    selected.textContent = nodeId;
    selected.classList.remove('mi-muted');
  });
}

function renderSummary(box: HTMLElement, s: ModelSummary | null): void {
  if (!s) {
    box.replaceChildren(h('p', { class: 'mi-muted' }, 'Open an ONNX or TF.js model to see its summary here.'));
    return;
  }
  const io = (label: string, values: ModelSummary['inputs']) =>
    h('div', {}, h('h3', {}, label), h('ul', { class: 'mi-side-list' }, values.map((v) =>
      h('li', {}, h('span', { class: 'mi-mono' }, v.name), h('span', { class: 'mi-muted' }, ` ${v.dtype} ${formatShape(v.shape)}`)))));
  box.replaceChildren(
    h('h2', { id: 'mi-side-title' }, s.file),
    h('dl', { class: 'mi-facts mi-facts-compact' },
      h('dt', {}, 'Format'), h('dd', {}, formatName(s.format)),
      h('dt', {}, 'Nodes'), h('dd', {}, String(s.nodeCount)),
      h('dt', {}, 'Parameters'), h('dd', {}, `${formatCount(s.parameterCount)} (${formatBytes(s.parameterBytes)})`)),
    io('Inputs', s.inputs),
    io('Outputs', s.outputs),
  );
}
