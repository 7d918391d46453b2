import type { OutputSummary, RunSummary } from '../../src/protocol/run';
import { h } from '../shell/dom';

const num = (x: number | null) => {
  if (x === null || !Number.isFinite(x)) return String(x ?? 'NaN');
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(3) : x.toFixed(4);
};
const ms = (x: number) => `${x < 10 ? x.toFixed(3) : x.toFixed(1)} ms`;

/** The result of one run: provider (and why others were skipped), latency, inputs used, outputs with top-k. */
export function renderResults(s: RunSummary): HTMLElement {
  return h('div', { id: 'mi-run-results', class: 'mi-run-results' },
    h('dl', { class: 'mi-facts' },
      h('dt', {}, 'Provider'), h('dd', {}, h('span', { id: 'mi-run-provider', class: 'mi-mono', 'data-value': s.provider }, s.provider),
        s.placement && h('span', { class: 'mi-muted' }, `  nodes: ${Object.entries(s.placement).map(([p, n]) => `${p.replace('ExecutionProvider', '')} ${n}`).join(', ')}`)),
      h('dt', {}, 'Latency'), h('dd', { id: 'mi-run-latency', 'data-p50': s.latencyMs.p50, 'data-p95': s.latencyMs.p95 },
        `p50 ${ms(s.latencyMs.p50)} · p95 ${ms(s.latencyMs.p95)} over ${s.runs} runs`),
      h('dt', {}, 'Load'), h('dd', {}, `${ms(s.loadMs)}${s.cached ? ' (session reused)' : ''}`),
    ),
    s.skipped.length > 0 && h('section', { class: 'mi-section' }, h('h2', {}, 'Skipped providers'),
      h('ul', { id: 'mi-run-skipped', class: 'mi-side-list' }, s.skipped.map((k) =>
        h('li', { 'data-provider': k.provider }, h('span', { class: 'mi-mono' }, k.provider), ': ', h('span', { class: 'mi-wrap' }, k.reason))))),
    h('section', { class: 'mi-section' }, h('h2', {}, 'Inputs used'),
      h('table', { class: 'mi-table', id: 'mi-run-used' },
        h('tbody', {}, s.inputs.map((i) => h('tr', {},
          h('td', { class: 'mi-mono' }, i.name), h('td', { class: 'mi-mono' }, `${i.dtype} [${i.shape.join(', ')}]`), h('td', { class: 'mi-mono mi-wrap' }, i.source, i.note && h('div', { class: 'mi-muted mi-input-note' }, i.note)))))),
      Object.keys(s.dims).length > 0 && h('p', { class: 'mi-muted' }, `Dimensions used: ${Object.entries(s.dims).map(([k, v]) => `${k}=${v}`).join(', ')}`)),
    h('section', { class: 'mi-section' }, h('h2', {}, 'Outputs'), outputsTable(s.outputs)),
    s.outputs.some((o) => o.top.length > 0) && h('section', { class: 'mi-section' }, h('h2', {}, 'Top-k'),
      s.outputs.filter((o) => o.top.length > 0).map(topList)),
  );
}

function outputsTable(outputs: OutputSummary[]): HTMLElement {
  const th = (t: string, cls = '') => h('th', { class: cls }, t);
  return h('table', { class: 'mi-table', id: 'mi-run-outputs' },
    h('thead', {}, h('tr', {}, th('Name'), th('Type'), th('Shape'), th('Mean', 'mi-num'), th('Std', 'mi-num'), th('Min', 'mi-num'), th('Max', 'mi-num'), th('First values'))),
    h('tbody', {}, outputs.map((o) => h('tr', { 'data-name': o.name },
      h('td', { class: 'mi-mono' }, o.name),
      h('td', { class: 'mi-mono' }, o.dtype),
      h('td', { class: 'mi-mono' }, `[${o.shape.join(', ')}]`),
      ...[o.mean, o.std, o.min, o.max].map((v) => h('td', { class: 'mi-num mi-mono' }, num(v))),
      h('td', { class: 'mi-mono mi-muted' }, o.first.slice(0, 6).map(num).join(', ') + (o.first.length > 6 ? ', …' : ''),
        o.nonFinite > 0 ? ` (${o.nonFinite} non-finite)` : '')))));
}

/** Under class indices without names: where names come from (the runtime reads labels.txt beside the model). */
export const LABELS_HINT = 'Classes are shown by index (#0 is the first): put a labels.txt next to the model, one class name per line, to name them.';

function topList(o: OutputSummary): HTMLElement {
  const unnamed = o.top.length > 0 && o.top.every((t) => t.label === null);
  return h('div', { class: 'mi-run-top', 'data-output': o.name },
    h('p', { class: 'mi-muted' }, `${o.name}${o.softmax ? ' (softmax of logits)' : ''}`),
    h('table', { class: 'mi-table mi-ops' }, h('tbody', {}, o.top.map((t) =>
      h('tr', { 'data-index': t.index },
        h('td', { class: 'mi-mono' }, t.label ?? `#${t.index}`),
        h('td', { class: 'mi-num' }, `${(t.p * 100).toFixed(1)}%`),
        h('td', { class: 'mi-bar-col' }, bar(t.p)))))),
    unnamed && h('p', { class: 'mi-muted mi-run-labels-hint' }, LABELS_HINT));
}

function bar(p: number): HTMLElement {
  const el = h('div', { class: 'mi-bar', 'data-p': p.toFixed(4) });
  el.style.width = `${Math.max(1, 100 * p)}%`; // CSSOM: the CSP allows no inline style attributes
  return el;
}
