import type { ActivationSummary, RunInputParams, RunParams } from '../../src/protocol/run';
import type { TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { drawHistogram, fmtNum } from '../weights/chart';

/** The Run tab's Activations section: pick values (searchable), get their stats and histograms, colour the graph. */
export interface ActivationsPanel {
  readonly element: HTMLElement;
  refreshTrust(): void;
  /** Select a value (from the graph sidebar's "Activation stats") and compute it. */
  pick(value: string): void;
}

const MAX_LISTED = 200;
const MAX_PICKED = 64;

const inputPart = (p: RunParams): RunInputParams => ({ inputs: p.inputs, synth: p.synth, seed: p.seed, dims: p.dims, providers: p.providers });

export function createActivationsPanel(ctx: TabContext, params: () => RunParams): ActivationsPanel {
  let names: string[] = [];
  const picked = new Set<string>();
  let busy: AbortController | undefined;
  const search = h('input', { type: 'search', id: 'mi-act-search', class: 'mi-mono', placeholder: 'search value names', 'aria-label': 'search value names' });
  const list = h('ul', { id: 'mi-act-list', class: 'mi-side-list' });
  const chips = h('p', { id: 'mi-act-picked' });
  const compute = custom('vscode-button', { id: 'mi-act-compute' }, 'Compute statistics');
  const colour = custom('vscode-button', { id: 'mi-act-overlay', secondary: true }, 'Colour graph by mean |activation|');
  const status = h('span', { id: 'mi-act-status', class: 'mi-muted', role: 'status' });
  const error = h('p', { id: 'mi-act-error', class: 'mi-error mi-wrap', hidden: true });
  const results = h('div', { id: 'mi-act-results' });

  const renderList = () => {
    const q = search.value.trim().toLowerCase();
    const hits = names.filter((n) => !q || n.toLowerCase().includes(q));
    list.replaceChildren(...hits.slice(0, MAX_LISTED).map((n) => {
      const li = h('li', { class: 'mi-mono', 'data-value': n, tabindex: 0, role: 'button' }, n);
      const add = () => toggle(n);
      li.addEventListener('click', add);
      li.addEventListener('keydown', (e) => e.key === 'Enter' && add());
      return li;
    }), ...(hits.length > MAX_LISTED ? [h('li', { class: 'mi-muted' }, `… ${hits.length - MAX_LISTED} more: refine the search`)] : []));
  };
  const renderChips = () => chips.replaceChildren(...[...picked].flatMap((n) => {
    const x = h('a', { class: 'mi-mono', 'data-picked': n, title: 'remove', tabindex: 0 }, `${n} ✕`);
    x.addEventListener('click', () => toggle(n));
    return [x, ' '];
  }));
  const toggle = (n: string) => {
    if (picked.has(n)) picked.delete(n);
    else if (picked.size < MAX_PICKED) picked.add(n);
    renderChips();
    refreshTrust();
  };

  const refreshTrust = () => {
    compute.toggleAttribute('disabled', !ctx.trusted || !!busy || picked.size === 0);
    colour.toggleAttribute('disabled', !ctx.trusted || !!busy);
  };

  async function guarded<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    if (!ctx.trusted || busy) return undefined;
    busy = new AbortController();
    error.hidden = true;
    status.textContent = `${what}…`;
    refreshTrust();
    try {
      return await fn(busy.signal);
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
      error.hidden = false;
      return undefined;
    } finally {
      status.textContent = '';
      busy = undefined;
      refreshTrust();
    }
  }

  const run = async () => {
    const res = await guarded('computing activations', (signal) =>
      ctx.rpc.call('activations', { ...inputPart(params()), values: [...picked] }, { signal, timeoutMs: 0 }));
    if (res) results.replaceChildren(h('p', { class: 'mi-muted' }, `on ${res.provider}`), ...res.activations.map(card));
  };
  const overlay = async () => {
    const res = await guarded('running with every node output', (signal) =>
      ctx.rpc.call('activationOverlay', { ...inputPart(params()), measure: 'meanAbs' }, { signal, timeoutMs: 0 }));
    if (!res) return;
    ctx.setOverlay(res.overlay);
    ctx.navigate('graph');
  };
  compute.addEventListener('click', () => void run());
  colour.addEventListener('click', () => void overlay());
  search.addEventListener('input', renderList);

  // Value names of the main graph, from the graph payload the Graph tab uses too; weights are left out.
  void ctx.rpc.call('getGraph', {}).then((g) => {
    const produced = new Set(g.edges.map((e) => e[2]));
    names = g.values.filter((_, i) => produced.has(i)).map((v) => v.name);
    renderList();
  }, () => undefined);

  const element = h('section', { class: 'mi-section', id: 'mi-activations' },
    h('h2', {}, 'Activations'),
    h('p', { class: 'mi-muted' }, 'Statistics of intermediate values for the inputs above (one run).'),
    search, list, chips, h('p', {}, compute, ' ', colour, ' ', status), error, results);
  refreshTrust();
  return {
    element,
    refreshTrust,
    pick(value: string) {
      if (!picked.has(value)) toggle(value);
      search.value = value;
      renderList();
      void run();
    },
  };
}

function card(a: ActivationSummary): HTMLElement {
  const canvas = h('canvas', { class: 'mi-act-hist', 'data-value': a.name, 'aria-label': `histogram of ${a.name}` });
  const el = h('div', { class: 'mi-act-card', 'data-value': a.name },
    h('h3', { class: 'mi-mono' }, a.name),
    h('table', { class: 'mi-table' }, h('tbody', {},
      h('tr', {}, h('td', {}, 'type'), h('td', { class: 'mi-mono' }, `${a.dtype} [${a.shape.join(', ')}]`)),
      ...(['mean', 'std', 'min', 'max', 'meanAbs'] as const).map((k) => h('tr', { 'data-stat': k }, h('td', {}, k === 'meanAbs' ? 'mean |x|' : k), h('td', { class: 'mi-num mi-mono' }, fmtNum(a[k])))),
      h('tr', { 'data-stat': 'nonfinite' }, h('td', {}, 'NaN / Inf'), h('td', { class: 'mi-num mi-mono' }, `${a.nan} / ${a.inf}`)),
      h('tr', {}, h('td', {}, 'zeros'), h('td', { class: 'mi-num mi-mono' }, `${a.zeros} of ${a.count}`)))),
    canvas);
  // Drawn once attached, so the canvas has its laid-out width.
  requestAnimationFrame(() => drawHistogram(canvas, [{ label: a.name, histogram: { ...a.histogram, exact: true } }], { log: false }));
  return el;
}
