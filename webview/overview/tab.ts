import type { ModelSummary, ValueInfo } from '../../src/protocol/summary';
import { fileSizeText, formatBytes, otherTensorsText } from '../../src/protocol/summary';
import type { Tab, TabContext } from '../shell/tab';
import { h } from '../shell/dom';
import { formatCount, formatShape, sortedOpCounts } from './format';

/** The Overview tab: everything `inspect` knows about the model, on one page. */
export function createOverviewTab(): Tab {
  return {
    id: 'overview',
    title: 'Overview',
    mount(container: HTMLElement, ctx: TabContext) {
      container.replaceChildren(renderOverview(ctx.summary));
    },
  };
}

export function renderOverview(s: ModelSummary): HTMLElement {
  const weightsOnly = isWeightsOnly(s);
  return h('div', { class: 'mi-overview' },
    warnings(s),
    facts(s, weightsOnly),
    // A checkpoint of tensors (SafeTensors, GGUF, a state dict) has no inputs, outputs or operators to list.
    weightsOnly
      ? h('p', { id: 'mi-weights-only', class: 'mi-muted' },
        `Weights only: this file stores ${weightsOnlyText(s)}. Weights has their statistics; Graph lists them by name scope.`)
      : [
        h('div', { class: 'mi-columns' },
          section('Inputs', valueTable('mi-inputs', s.inputs)),
          section('Outputs', valueTable('mi-outputs', s.outputs)),
        ),
        section(`Operators (${Object.keys(s.opTypeCounts).length} types)`, opTable(s.opTypeCounts)),
      ],
    Object.keys(s.metadata).length > 0 && section('Metadata', metadataTable(s.metadata)),
  );
}

/** Tensors and nothing else: no node, input or output in any graph. */
function isWeightsOnly(s: ModelSummary): boolean {
  return s.totalNodeCount === 0 && s.inputs.length === 0 && s.outputs.length === 0 && storedTensors(s) > 0;
}

/** Every tensor of the file: the parameters' and those counted apart (a checkpoint's optimizer state, counters). */
function storedTensors(s: ModelSummary): number {
  return s.weightCount + otherCount(s);
}

function otherCount(s: ModelSummary): number {
  return Object.values(s.otherTensors ?? {}).reduce((n, o) => n + o.count, 0);
}

/** "12 tensors and no graph", or "47 tensors and no graph (15 of parameters; 20 optimizer state, 12 counters)" for a checkpoint. */
function weightsOnlyText(s: ModelSummary): string {
  const head = `${storedTensors(s).toLocaleString('en-US')} tensors and no graph`;
  const o = s.otherTensors;
  if (!o || !otherCount(s)) return head;
  const parts = [
    o.optimizer && `${o.optimizer.count} optimizer state`,
    o.counter && `${o.counter.count} counter${o.counter.count === 1 ? '' : 's'}`,
    o.constant && `${o.constant.count} constant${o.constant.count === 1 ? '' : 's'}`,
  ].filter(Boolean);
  return `${head} (${s.weightCount.toLocaleString('en-US')} of parameters; ${parts.join(', ')})`;
}

function facts(s: ModelSummary, weightsOnly: boolean): HTMLElement {
  const opsets = s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ');
  const nodes = h('span', {},
    h('span', { id: 'mi-node-count', 'data-value': s.nodeCount }, String(s.nodeCount)),
    s.totalNodeCount !== s.nodeCount && h('span', { class: 'mi-muted', id: 'mi-node-total', 'data-value': s.totalNodeCount },
      ` (${s.totalNodeCount} with ${subgraphWords(s)})`),
  );
  const params = h('span', {},
    h('span', { id: 'mi-param-count', 'data-value': s.parameterCount, title: s.parameterCount.toLocaleString('en-US') }, formatCount(s.parameterCount)),
    h('span', { class: 'mi-muted', id: 'mi-param-bytes', 'data-value': s.parameterBytes }, ` in ${s.weightCount} tensors, ${formatBytes(s.parameterBytes)}`),
  );
  // A training checkpoint's optimizer state can be twice the model: said beside the count, never in it.
  const other = otherTensorsText(s.otherTensors, formatCount);
  if (other) params.append(h('div', { class: 'mi-muted', id: 'mi-param-other' }, `not counted: ${other}`));
  // ONNX's IR version and opsets, and the node count, only where the format has them.
  const onnxFacts = s.format === 'onnx' || s.irVersion !== undefined || opsets !== '';
  const rows: [string, Node | string][] = [
    ['Format', h('span', { id: 'mi-format', 'data-value': s.format }, s.formatName)],
    ['Producer', s.producer ? `${s.producer.name} ${s.producer.version}`.trim() || '—' : '—'],
    ...(onnxFacts ? [['IR version', s.irVersion !== undefined ? String(s.irVersion) : '—'], ['Opsets', opsets || '—']] as [string, string][] : []),
    ['File size', h('span', { id: 'mi-file-size' }, fileSizeText(s))],
    ...(weightsOnly ? [] : [['Nodes', nodes]] as [string, Node][]),
    ['Parameters', params],
  ];
  return h('dl', { class: 'mi-facts' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function subgraphWords(s: ModelSummary): string {
  const parts: string[] = [];
  if (s.subgraphCount) parts.push(`${s.subgraphCount} subgraph${s.subgraphCount === 1 ? '' : 's'}`);
  if (s.functionCount) parts.push(`${s.functionCount} function${s.functionCount === 1 ? '' : 's'}`);
  return parts.join(' and ') || 'nested graphs';
}

function section(title: string, body: Node): HTMLElement {
  return h('section', { class: 'mi-section' }, h('h2', {}, title), body);
}

function valueTable(id: string, values: ValueInfo[]): HTMLElement {
  if (values.length === 0) return h('p', { id, class: 'mi-muted' }, 'none');
  return h('table', { id, class: 'mi-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Shape'))),
    h('tbody', {}, values.map((v) =>
      h('tr', { 'data-name': v.name },
        h('td', { class: 'mi-mono' }, v.name),
        h('td', { class: 'mi-mono' }, v.dtype),
        h('td', { class: 'mi-mono' }, formatShape(v.shape))))),
  );
}

/**
 * Op types with their count and a bar for their share of the main graph's nodes: bar widths are proportional to the
 * counts, and a small model with one node of each type shows short equal bars (1/6 each), not a column of full ones.
 */
function opTable(counts: Record<string, number>): HTMLElement {
  const rows = sortedOpCounts(counts);
  if (rows.length === 0) return h('p', { class: 'mi-muted' }, 'The main graph has no nodes.');
  const total = rows.reduce((t, [, n]) => t + n, 0);
  return h('table', { id: 'mi-ops', class: 'mi-table mi-ops' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Op type'), h('th', { class: 'mi-num' }, 'Count'), h('th', { class: 'mi-bar-col' }, 'Share of nodes'))),
    h('tbody', {}, rows.map(([op, n]) => {
      const share = n / total;
      const bar = h('div', { class: 'mi-bar', 'data-share': share });
      // CSSOM, not a style attribute: the CSP has no 'unsafe-inline' for styles. The bar takes the share of a track
      // that leaves room for its percentage label.
      bar.style.width = `calc((100% - 3.5em) * ${share})`;
      const pct = share >= 0.095 ? `${Math.round(share * 100)}%` : `${(share * 100).toFixed(1)}%`;
      return h('tr', { 'data-op': op },
        h('td', { class: 'mi-mono' }, op),
        h('td', { class: 'mi-num' }, String(n)),
        h('td', { class: 'mi-bar-col', title: `${n} of ${total} nodes` }, h('div', {}, bar, h('span', { class: 'mi-muted' }, pct))));
    })),
  );
}

function metadataTable(meta: Record<string, string>): HTMLElement {
  return h('table', { id: 'mi-metadata', class: 'mi-table' },
    h('tbody', {}, Object.entries(meta).map(([k, v]) =>
      h('tr', {}, h('th', { class: 'mi-mono' }, k), h('td', { class: 'mi-wrap' }, v.length > 2000 ? `${v.slice(0, 2000)}…` : v)))),
  );
}

function warnings(s: ModelSummary): HTMLElement | false {
  if (s.warnings.length === 0) return false;
  return h('div', { id: 'mi-warnings', class: 'mi-warnings', role: 'status' },
    h('ul', {}, s.warnings.map((w) => h('li', {}, w))));
}
