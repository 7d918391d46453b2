import type { ModelSummary } from '../../src/protocol/summary';
import type { ExplanationSummary, PromptExplanationSummary } from '../../src/protocol/explain-summary';
import { legend, percent, signedColour, tokenChips } from '../shell/tokens';
import type { Connection } from '../messaging/connect';
import { h } from '../shell/dom';
import { formatBytes } from '../../src/protocol/summary';
import { formatCount, formatShape } from '../overview/format';
import { renderSelectedNode } from './node-view';
import { drawBars, drawMap } from '../explain/draw';

/**
 * The Explanations side view: a short summary of the model in the active editor, the selected node, and
 * the last explanation (one thumbnail per method with its quality numbers and any failed check).
 */
export function mountSidePanel(root: HTMLElement, { rpc }: Connection): void {
  const summaryBox = h('section', { id: 'mi-side-summary', class: 'mi-side-section' });
  const selected = h('div', { id: 'mi-side-selected' });
  const explanation = h('div', { id: 'mi-side-explanation', class: 'mi-muted' }, 'No explanation yet. Use the Explain tab of a model.');
  root.replaceChildren(
    summaryBox,
    h('section', { class: 'mi-side-section' }, h('h2', {}, 'Selected node'), selected),
    h('section', { class: 'mi-side-section' }, h('h2', {}, 'Last explanation'), explanation),
  );
  renderSummary(summaryBox, null);
  renderSelectedNode(selected, null);

  rpc.on('activeModel', ({ summary }) => {
    renderSummary(summaryBox, summary);
    renderSelectedNode(selected, null);
  });
  rpc.on('nodeSelected', (p) => renderSelectedNode(selected, p));
  rpc.on('explanation', ({ items }) => {
    explanation.classList.toggle('mi-muted', items.length === 0);
    explanation.replaceChildren(...(items.length ? items.map(renderExplanation) : ['The last explanation produced no map.']));
  });
  rpc.on('promptExplanation', (e) => {
    explanation.classList.remove('mi-muted');
    explanation.replaceChildren(renderPromptExplanation(e));
  });
}

function renderExplanation(e: ExplanationSummary): HTMLElement {
  const canvas = h('canvas', { class: 'mi-side-thumb' });
  // CSSOM, not a style attribute: the webview CSP blocks inline style attributes.
  canvas.style.width = '64px';
  // The Explain tab's drawing: a heatmap for image maps, bars for one-row (non-image) ones.
  if (e.thumbnail.shape[0] === 1) drawBars(canvas, e.thumbnail);
  else {
    canvas.style.imageRendering = 'pixelated';
    drawMap(canvas, e.thumbnail, undefined, 1);
  }
  const facts = [
    `deletion AUC ${e.deletionAuc.toFixed(3)}`, `insertion AUC ${e.insertionAuc.toFixed(3)}`,
    ...(e.completeness !== undefined ? [`completeness residual ${e.completeness.toExponential(1)}`] : []),
    ...(e.randomizationSpearman !== undefined ? [`randomization ρ ${e.randomizationSpearman.toFixed(2)}`] : []),
  ];
  return h('div', { class: 'mi-side-explanation-item', 'data-method': e.method },
    h('h3', {}, `${e.method} — ${e.fileName}, target ${e.target} (score ${e.score.toFixed(3)})`),
    canvas,
    h('div', { class: 'mi-muted' }, facts.join(' · ')),
    ...e.warnings.map((w) => h('p', { class: 'mi-warnings mi-wrap' }, `⚠ ${w}`)));
}

/** A prompt explanation in small: the tokens' heat map, the target, the method and the AUCs. */
function renderPromptExplanation(e: PromptExplanationSummary): HTMLElement {
  let max = 1e-12;
  for (const t of e.tokens) max = Math.max(max, Math.abs(t.score));
  const facts = [
    `deletion AUC ${e.deletionAuc.toFixed(3)}`, `insertion AUC ${e.insertionAuc.toFixed(3)}`,
    ...(e.completeness !== undefined ? [`completeness residual ${e.completeness.toExponential(1)}`] : []),
  ];
  return h('div', { class: 'mi-side-explanation-item', id: 'mi-side-prompt-explanation', 'data-method': e.method },
    h('h3', {}, `${e.method} — ${e.fileName}: target ${JSON.stringify(e.target.text)} (#${e.target.id}, p ${percent(e.target.p)})`),
    e.skipped > 0 && h('p', { class: 'mi-muted' }, `… ${e.skipped} earlier tokens not shown`),
    tokenChips('mi-side-tokens', e.tokens, (t) => signedColour(t.score / max), (t) => `id ${t.id} · ${JSON.stringify(t.text)} · score ${t.score.toPrecision(4)}`,
      (t) => ({ score: String(t.score) }), true),
    legend('mi-side-token-legend', `−${max.toPrecision(2)}`, [-1, -0.5, 0, 0.5, 1].map(signedColour), `+${max.toPrecision(2)}`),
    h('div', { class: 'mi-muted' }, facts.join(' · ')),
    ...e.warnings.map((w) => h('p', { class: 'mi-warnings mi-wrap' }, `⚠ ${w}`)));
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
      h('dt', {}, 'Format'), h('dd', {}, s.formatName),
      h('dt', {}, 'Nodes'), h('dd', {}, String(s.nodeCount)),
      h('dt', {}, 'Parameters'), h('dd', {}, `${formatCount(s.parameterCount)} (${formatBytes(s.parameterBytes)})`)),
    io('Inputs', s.inputs),
    io('Outputs', s.outputs),
  );
}
