import type { CompareView } from '../../src/protocol/compare';
import type { Tab, TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { createJob } from '../shell/job';
import { cannotRun } from '../../src/protocol/summary';

// Compare tab: this model (A) against another file (B) the host picks. Element ids: mi-compare-{pick,again,outputs,
// status,error,result,overlay}; the result's sections carry data-section for tests.

type Json = CompareView['json'];

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x === 0 ? '0' : Math.abs(x) < 1e-4 ? x.toExponential(1) : `${(x * 100).toFixed(x < 0.01 ? 3 : 1)}%`);
const num = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? '–' : Math.abs(x) !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? x.toExponential(2) : x.toFixed(d));

function section(name: string, title: string, ...body: (Node | string | null)[]): HTMLElement {
  return h('section', { class: 'mi-compare-section', 'data-section': name }, h('h2', {}, title), ...body.filter((b): b is Node | string => b !== null));
}

function list(items: string[], max = 20): HTMLElement {
  const shown = items.slice(0, max);
  return h('ul', { class: 'mi-compare-list' }, ...shown.map((s) => h('li', { class: 'mi-wrap' }, s)), ...(items.length > max ? [h('li', { class: 'mi-muted' }, `… and ${items.length - max} more`)] : []));
}

function table(head: string[], rows: (string | Node)[][], cls = ''): HTMLElement {
  return h('table', { class: `mi-table ${cls}` }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

function render(v: CompareView, ctx: TabContext): HTMLElement {
  const j: Json = v.json;
  const n = j.nodes;
  const changedScopes = j.scopes.filter((s) => (s.relChange ?? 0) > 0);
  const changedTensors = j.tensors.filter((t) => (t.relChange ?? 0) > 0).sort((a, b) => (b.relChange ?? 0) - (a.relChange ?? 0));
  const showOnGraph = custom('vscode-button', { id: 'mi-compare-overlay', secondary: true }, 'Show on graph');
  showOnGraph.addEventListener('click', () => ctx.setOverlay({ ...v.overlay, scale: 'sequential' }));
  const headline = `${ctx.summary.file} vs ${v.other}: ${n.matched} nodes matched, ${n.added.length} added, ${n.removed.length} removed, ${n.changed.length} changed; `
    + `weights ${j.tensors.length} compared, ${changedTensors.length} changed (overall ${pct(j.relChange)} relative change)`;
  const divergence = j.divergence;
  const goTo = (nodeId: string, label: string) => {
    const b = h('a', { href: '#', class: 'mi-link', title: `show ${nodeId} on the graph`, 'data-node': nodeId }, label);
    b.addEventListener('click', (e) => {
      e.preventDefault();
      ctx.navigate('graph', nodeId);
    });
    return b;
  };
  return h('div', { id: 'mi-compare-result' },
    h('p', { id: 'mi-compare-headline', class: 'mi-wrap' }, headline),
    section('structure', 'Structure',
      h('p', {}, showOnGraph, h('span', { class: 'mi-muted' }, ` colours this model's graph by what differs in ${v.other}: nodes removed or changed, nodes whose weights changed${divergence ? ', the first node whose activations diverge' : ''}`)),
      n.removed.length ? h('div', {}, h('h3', {}, `Removed (only in ${ctx.summary.file})`), list(n.removed)) : null,
      n.added.length ? h('div', {}, h('h3', {}, `Added (only in ${v.other})`), list(n.added)) : null,
      n.changed.length ? h('div', {}, h('h3', {}, 'Changed'), list(n.changed.map((c) => `${c.a}${c.b !== c.a ? ` → ${c.b}` : ''}: ${c.what.join('; ')}`))) : null,
      !n.removed.length && !n.added.length && !n.changed.length ? h('p', {}, 'Same structure: every node matched, none changed.') : null),
    section('weights', 'Weights',
      changedScopes.length ? h('div', {}, h('h3', {}, 'Scopes that changed most'), table(['scope', 'tensors', 'relative change'], changedScopes.slice(0, 10).map((s) => [s.scope, String(s.tensors), pct(s.relChange)]))) : null,
      changedTensors.length ? h('h3', {}, `Tensors that changed (${changedTensors.length} of ${j.tensors.length}, largest change first)`) : null,
      changedTensors.length
        ? table(['tensor', 'relative change ‖a−b‖/‖a‖', 'cosine', 'max |a−b|', 'matched by'], changedTensors.slice(0, 50).map((t) => [t.name + (t.b && t.b !== t.name ? ` ↔ ${t.b}` : ''), pct(t.relChange), num(t.cosine, 6), num(t.maxAbsDiff), t.matchedBy + (t.transposed ? ' (transposed)' : '')]), 'mi-compare-tensors')
        : h('p', { id: 'mi-compare-same-weights' }, j.tensors.length ? 'Every matched weight is identical.' : 'No weights could be matched by name or shape.'),
      changedTensors.length > 50 ? h('p', { class: 'mi-muted' }, `The 50 largest changes of ${changedTensors.length} are listed.`) : null,
      j.unmatched.a.length || j.unmatched.b.length ? h('div', {}, h('h3', {}, 'Not matched'), list([...j.unmatched.a.map((x) => `${x} (only in ${ctx.summary.file})`), ...j.unmatched.b.map((x) => `${x} (only in ${v.other})`)])) : null,
      j.mismatched.length ? h('div', {}, h('h3', {}, 'Matched by name but not comparable'), list(j.mismatched.map((m) => `${m.a} ↔ ${m.b}: ${m.reason}`))) : null),
    j.outputs
      ? section('outputs', 'Outputs on the same input',
        // Top-1 too: with as few classes as k, top-k agreement is 100% whatever the scores.
        table(['output', 'max |a−b|', 'cosine', 'top-1 agreement', 'top-k agreement'], j.outputs.map((o) => [o.name, num(o.maxAbsDiff), num(o.cosine, 6),
          o.top1Agreement === undefined ? '–' : pct(o.top1Agreement), o.topkAgreement === null ? '–' : `${pct(o.topkAgreement)}${o.k ? ` (k = ${o.k})` : ''}`])),
        divergence
          ? h('p', { id: 'mi-compare-divergence', class: 'mi-wrap' }, 'First node whose activations diverge: ', goTo(divergence.nodeId, divergence.node || divergence.nodeId), ` (output ${divergence.value}, relative error ${num(divergence.relError)} > tolerance ${num(divergence.tolerance)})`)
          : h('p', { class: 'mi-muted' }, j.divergenceSkipped ?? 'No intermediate activation diverged beyond the tolerance.'))
      : section('outputs', 'Outputs', h('p', { class: 'mi-muted' }, j.outputsSkipped ?? 'Not compared: tick "Run both models" to compare outputs on the same input.')),
  );
}

export function createCompareTab(): Tab {
  let ctx: TabContext;
  const pick = custom('vscode-button', { id: 'mi-compare-pick' }, 'Compare with…');
  const again = custom('vscode-button', { id: 'mi-compare-again', secondary: true, hidden: true }, 'Compare again');
  const outputs = h('input', { id: 'mi-compare-outputs', type: 'checkbox' });
  const outputsLabel = h('label', { title: 'Runs both models on the same synthesized input' }, outputs, ' Run both models and compare outputs');
  const intro = h('p', { class: 'mi-muted' }, 'Compare this model with another file: fine-tuned vs base, fp16/int8 vs fp32, an export vs its source. Structure and weights are read only; comparing outputs runs both models.');
  const result = h('div', { id: 'mi-compare-slot' });
  const job = createJob('compare', () => refresh());
  let last: CompareView | undefined;

  const refresh = () => {
    const blocked = !ctx.trusted || !!cannotRun(ctx.summary);
    outputs.disabled = blocked;
    if (blocked) outputs.checked = false;
    outputsLabel.title = !ctx.trusted ? 'Restricted Mode: models do not run until you trust this workspace' : cannotRun(ctx.summary) ?? outputsLabel.title;
    pick.toggleAttribute('disabled', job.running);
    again.toggleAttribute('disabled', job.running);
    again.hidden = !last;
  };

  const compare = async (choose: boolean) => {
    if (job.running) return;
    await job.run(async ({ signal, onProgress }) => {
      const v = await ctx.rpc.call('compareWith', { pick: choose, outputs: outputs.checked }, { signal, timeoutMs: 0, onProgress });
      if (!v) return; // the pick was cancelled
      last = v;
      result.replaceChildren(render(v, ctx));
    }, 'comparing…');
    refresh();
  };

  pick.addEventListener('click', () => void compare(true));
  again.addEventListener('click', () => void compare(false));

  return {
    id: 'compare',
    title: 'Compare',
    mount(container, c) {
      ctx = c;
      container.replaceChildren(h('div', { class: 'mi-compare' }, intro, h('p', {}, pick, ' ', again, ' ', outputsLabel), h('p', {}, job.cancelButton, ' ', job.status), job.error, result));
      refresh();
    },
    show(arg) {
      refresh();
      // "Compare With…" already chose B in the host: compare at once.
      if (arg && typeof arg === 'object' && 'other' in arg) void compare(false);
    },
  };
}
