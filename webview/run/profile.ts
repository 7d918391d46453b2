import type { ProfileResult, RunParams } from '../../src/protocol/run';
import type { TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';

/** The Run tab's Profile section: per-node kernel times as a sorted table, and "Show on graph" as an overlay. */
export interface ProfilePanel {
  readonly element: HTMLElement;
  refreshTrust(): void;
}

const ms = (x: number) => `${x < 1 ? x.toFixed(3) : x.toFixed(2)} ms`;

export function createProfilePanel(ctx: TabContext, params: () => RunParams): ProfilePanel {
  let busy: AbortController | undefined;
  let last: ProfileResult | undefined;
  const button = custom('vscode-button', { id: 'mi-profile-button' }, 'Profile');
  const cancel = custom('vscode-button', { id: 'mi-profile-cancel', secondary: true, hidden: true }, 'Cancel');
  const show = custom('vscode-button', { id: 'mi-profile-overlay', secondary: true, hidden: true }, 'Show on graph');
  const optimized = h('input', { type: 'checkbox', id: 'mi-profile-optimized', 'aria-label': 'profile the optimised graph' });
  const status = h('span', { id: 'mi-profile-status', class: 'mi-muted', role: 'status' });
  const error = h('p', { id: 'mi-profile-error', class: 'mi-error mi-wrap', hidden: true });
  const results = h('div', { id: 'mi-profile-results' });

  const refreshTrust = () => button.toggleAttribute('disabled', !ctx.trusted || !!busy);

  const run = async () => {
    if (!ctx.trusted || busy) return;
    busy = new AbortController();
    cancel.hidden = false;
    error.hidden = true;
    refreshTrust();
    const p = params();
    try {
      last = await ctx.rpc.call('profile', {
        inputs: p.inputs, synth: p.synth, seed: p.seed, dims: p.dims, providers: p.providers,
        runs: Math.min(100, p.runs ?? 5), optimized: optimized.checked,
      }, {
        signal: busy.signal,
        timeoutMs: 0,
        onProgress: (x) => (status.textContent = x.message ?? ''),
      });
      results.replaceChildren(render(last, ctx));
      show.hidden = false;
    } catch (e) {
      error.textContent = e instanceof Error ? e.message : String(e);
      error.hidden = false;
    } finally {
      status.textContent = '';
      busy = undefined;
      cancel.hidden = true;
      refreshTrust();
    }
  };
  button.addEventListener('click', () => void run());
  cancel.addEventListener('click', () => busy?.abort());
  show.addEventListener('click', () => {
    if (!last) return;
    ctx.setOverlay(last.overlay);
    ctx.navigate('graph');
  });
  const element = h('section', { class: 'mi-section', id: 'mi-profile' },
    h('h2', {}, 'Profile'),
    h('p', { class: 'mi-muted' }, 'Per-node kernel times averaged over the runs set above (after one warm-up).'),
    h('p', {}, button, ' ', cancel, ' ', h('label', {}, optimized, ' optimised graph (fused kernels map to nodes best-effort)'), ' ', status),
    error, h('p', {}, show), results);
  refreshTrust();
  return { element, refreshTrust };
}

function render(r: ProfileResult, ctx: TabContext): HTMLElement {
  return h('div', {},
    h('p', { class: 'mi-muted', id: 'mi-profile-summary' },
      `${r.provider} · ${r.runs} runs · kernels ${ms(r.totalMs)} of ${ms(r.runMs)} per run${r.optimized ? ' · optimised graph' : ''}`),
    ...r.notes.map((n) => h('p', { class: 'mi-muted mi-wrap' }, n)),
    h('table', { class: 'mi-table', id: 'mi-profile-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Op'), h('th', { class: 'mi-num' }, 'Time'), h('th', { class: 'mi-num' }, 'Share'), h('th', {}, 'Provider'))),
      h('tbody', {}, r.rows.map((row) => {
        const name = row.nodeId
          ? h('a', { class: 'mi-mono', tabindex: 0, title: 'show in graph' }, row.name)
          : h('span', { class: 'mi-mono mi-muted', title: 'not mapped to a node of the file' }, row.name);
        if (row.nodeId) name.addEventListener('click', () => ctx.navigate('graph', row.nodeId));
        return h('tr', { 'data-node': row.nodeId ?? '', 'data-ms': row.ms },
          h('td', {}, name), h('td', { class: 'mi-mono' }, row.opType), h('td', { class: 'mi-num mi-mono' }, ms(row.ms)),
          h('td', { class: 'mi-num' }, `${(row.share * 100).toFixed(1)}%`), h('td', { class: 'mi-mono' }, row.provider.replace('ExecutionProvider', '')));
      }))));
}
