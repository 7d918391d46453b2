import type { Finding, GroupStats, ModelStats, StatsBlock, TensorStats, WireHistogram } from '../../src/protocol/stats';
import { h } from '../shell/dom';
import type { NodeOverlay, Tab, TabContext } from '../shell/tab';
import { drawHistogram, fmtNum, type Series } from './chart';
import { adoptWeightsStyles } from './styles';
import { sortableTable, type Column } from './table';

/** Weight statistics a node can be coloured by on the Graph tab. */
const OVERLAY_STATS: Record<string, { title: string; pick(t: TensorStats): number | null; scale: NodeOverlay['scale'] }> = {
  std: { title: 'weight std', pick: (t) => t.std, scale: 'sequential' },
  maxAbs: { title: 'weight max |value|', pick: (t) => (t.min === null || t.max === null ? null : Math.max(Math.abs(t.min), Math.abs(t.max))), scale: 'sequential' },
  mean: { title: 'weight mean', pick: (t) => t.mean, scale: 'diverging' },
  sparsity: { title: 'weight sparsity', pick: (t) => t.sparsity, scale: 'sequential' },
  kurtosis: { title: 'weight kurtosis', pick: (t) => t.kurtosis, scale: 'sequential' },
};

/** node id -> the largest value of the chosen statistic over the weights it reads. */
export function overlayFor(stats: ModelStats, key: keyof typeof OVERLAY_STATS): NodeOverlay {
  const spec = OVERLAY_STATS[key];
  const values: Record<string, number> = {};
  for (const t of stats.tensors) {
    if (t.role) continue; // a Reshape is not coloured by its target shape
    const v = spec.pick(t);
    if (v === null || !Number.isFinite(v)) continue;
    for (const id of t.consumers) values[id] = id in values ? Math.max(values[id], v) : v;
  }
  return { title: spec.title, values, scale: spec.scale };
}

function facts(b: StatsBlock & { dtype?: string; storedDType?: string; shape?: number[]; quantization?: string }): HTMLElement {
  const rows: [string, string][] = [
    ...(b.dtype ? [['dtype', b.storedDType ? `${b.dtype} (stored ${b.storedDType})` : b.dtype] as [string, string]] : []),
    ...(b.shape ? [['shape', `[${b.shape.join(', ')}]`] as [string, string]] : []),
    ['count', b.count.toLocaleString('en-US')],
    ['min / max', `${fmtNum(b.min)} / ${fmtNum(b.max)}`],
    ['mean ± std', `${fmtNum(b.mean)} ± ${fmtNum(b.std)}`],
    ['L2 norm', fmtNum(b.l2)],
    ['p1 / p50 / p99', `${fmtNum(b.p1)} / ${fmtNum(b.p50)} / ${fmtNum(b.p99)}`],
    ['zeros', `${b.zeros.toLocaleString('en-US')} (${(b.sparsity * 100).toFixed(2)}%)`],
    ['NaN / Inf', `${b.nan} / ${b.inf}`],
    ['kurtosis', fmtNum(b.kurtosis)],
    ...(b.quantization ? [['quantization', b.quantization] as [string, string]] : []),
  ];
  return h('table', { class: 'facts', id: 'mi-weights-facts' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', { class: 'k' }, k), h('td', {}, v)))));
}

const tensorColumns: Column<TensorStats>[] = [
  { key: 'name', title: 'Tensor', value: (t) => t.name },
  { key: 'group', title: 'Group', value: (t) => t.group },
  { key: 'dtype', title: 'dtype', value: (t) => t.storedDType ?? t.dtype },
  { key: 'shape', title: 'Shape', value: (t) => t.shape.join('×') },
  { key: 'count', title: 'Count', value: (t) => t.count, numeric: true, render: (t) => t.count.toLocaleString('en-US') },
  { key: 'min', title: 'Min', value: (t) => t.min, numeric: true, render: (t) => fmtNum(t.min) },
  { key: 'max', title: 'Max', value: (t) => t.max, numeric: true, render: (t) => fmtNum(t.max) },
  { key: 'mean', title: 'Mean', value: (t) => t.mean, numeric: true, render: (t) => fmtNum(t.mean) },
  { key: 'std', title: 'Std', value: (t) => t.std, numeric: true, render: (t) => fmtNum(t.std) },
  { key: 'sparsity', title: 'Zeros', value: (t) => t.sparsity, numeric: true, render: (t) => `${(t.sparsity * 100).toFixed(1)}%` },
  { key: 'nan', title: 'NaN/Inf', value: (t) => t.nan + t.inf, numeric: true },
];

const groupColumns: Column<GroupStats>[] = [
  { key: 'name', title: 'Group', value: (g) => g.name },
  { key: 'tensors', title: 'Tensors', value: (g) => g.tensors, numeric: true },
  { key: 'count', title: 'Count', value: (g) => g.count, numeric: true, render: (g) => g.count.toLocaleString('en-US') },
  { key: 'mean', title: 'Mean', value: (g) => g.mean, numeric: true, render: (g) => fmtNum(g.mean) },
  { key: 'std', title: 'Std', value: (g) => g.std, numeric: true, render: (g) => fmtNum(g.std) },
  { key: 'max', title: 'Max |v|', value: (g) => (g.min === null || g.max === null ? null : Math.max(-g.min, g.max)), numeric: true, render: (g) => fmtNum(g.min === null || g.max === null ? null : Math.max(-g.min, g.max)) },
  { key: 'sparsity', title: 'Zeros', value: (g) => g.sparsity, numeric: true, render: (g) => `${(g.sparsity * 100).toFixed(1)}%` },
];

/** The tensors that are not weights: their role first, then the same numbers as the weights'. */
const ROLE_WORDS: Record<NonNullable<TensorStats['role']>, string> = {
  buffer: 'buffer', counter: 'counter', optimizer: 'optimizer state', constant: 'graph constant',
};
const otherColumns: Column<TensorStats>[] = [
  { key: 'role', title: 'Role', value: (t) => ROLE_WORDS[t.role!] },
  ...tensorColumns.filter((c) => c.key !== 'group'),
];

/** "2 buffers, 12 optimizer state, 7 counters": the roles of the tensors listed apart, most first. */
function roleCounts(others: TensorStats[]): string {
  const n = new Map<string, number>();
  for (const t of others) n.set(ROLE_WORDS[t.role!], (n.get(ROLE_WORDS[t.role!]) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]).map(([w, k]) => `${k} ${w}${k > 1 && w !== 'optimizer state' ? 's' : ''}`).join(', ');
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** The Weights tab: health findings, per-tensor and per-group statistics, and histograms (overlay to compare). */
/** More info notes than this are folded under one summary line. */
const FOLD_NOTES = 10;

export function createWeightsTab(): Tab {
  let ctx: TabContext;
  let root: HTMLElement;
  let stats: ModelStats | undefined;
  let selected: string[] = [];
  let pendingShow: string | undefined;
  let requestSeq = 0;
  const chart = h('canvas', { class: 'hist', id: 'mi-weights-hist', width: 720, height: 220 });
  const factsBox = h('div', {});
  const chartTitle = h('h3', { id: 'mi-weights-chart-title' }, 'Whole model');
  const binsSel = h('select', { id: 'mi-weights-bins' }, [16, 32, 64, 128, 256, 512].map((n) => h('option', { value: n, selected: n === 64 }, String(n))));
  const logBox = h('input', { type: 'checkbox', id: 'mi-weights-log' });
  const symBox = h('input', { type: 'checkbox', id: 'mi-weights-symmetric' });
  const rawBox = h('input', { type: 'checkbox', id: 'mi-weights-raw' });
  const overlaySel = h('select', { id: 'mi-weights-overlay' }, h('option', { value: '' }, 'none'), Object.entries(OVERLAY_STATS).map(([k, s]) => h('option', { value: k }, s.title)));
  const status = h('span', { class: 'muted', id: 'mi-weights-status' }, 'Computing weight statistics…');
  const filter = h('input', { type: 'search', id: 'mi-weights-filter', placeholder: 'Filter tensors' });
  let series: Series[] = [];
  let tensorTable: ReturnType<typeof sortableTable<TensorStats>> | undefined;

  const redraw = () => drawHistogram(chart, series, { log: logBox.checked });

  const showBlock = (title: string, block: StatsBlock & Partial<TensorStats>, histogram: WireHistogram = block.histogram) => {
    chartTitle.textContent = title;
    factsBox.replaceChildren(facts(block));
    series = [{ label: title, histogram }];
    redraw();
  };

  /** Exact histograms (shared edges) from the engine for the selected tensors, with the chosen bins/range/raw. */
  const refreshSelection = async () => {
    if (!stats || !selected.length) return;
    const seq = ++requestSeq;
    const first = stats.tensors.find((t) => t.name === selected[0]);
    if (first && selected.length === 1) showBlock(first.name, first);
    try {
      const res = await ctx.rpc.call('getHistograms', { tensors: selected, bins: Number(binsSel.value), symmetric: symBox.checked, raw: rawBox.checked });
      if (seq !== requestSeq) return;
      chartTitle.textContent = selected.length > 1 ? `Comparing ${selected.length} tensors` : selected[0];
      series = res.map((r) => ({ label: r.name, histogram: r.histogram }));
      redraw();
      status.textContent = `${selected.length > 1 ? 'overlay on shared edges' : 'exact histogram'}${rawBox.checked ? ', stored integers' : ''}`;
    } catch (e) {
      if (seq === requestSeq) status.textContent = `histogram failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  /**
   * Problems (errors, warnings) in a table; notes (info) with them when few, else folded under one line that counts
   * them by kind: a freshly initialised MobileNet has 163 all-zero biases and normalization shifts, which are usual
   * and buried its real findings under "Health (163)".
   */
  const healthSection = (findings: Finding[]): HTMLElement[] => {
    const problems = findings.filter((f) => f.severity !== 'info');
    const notes = findings.filter((f) => f.severity === 'info');
    const title = h('h3', {}, `Health: ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}, ${notes.length} ${notes.length === 1 ? 'note' : 'notes'}`);
    if (notes.length <= FOLD_NOTES) {
      return [title, findings.length ? findingsTable(findings).el : h('p', { class: 'muted', id: 'mi-weights-healthy' }, 'No problems found in the weights.')];
    }
    const kinds = new Map<string, number>();
    for (const f of notes) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    const byKind = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
    const why = kinds.has('all-zero') ? ' (all-zero 1-D tensors are usual: biases and normalization shifts start at zero)' : '';
    return [
      title,
      problems.length ? findingsTable(problems).el : h('p', { class: 'muted', id: 'mi-weights-healthy' }, 'No problems found in the weights.'),
      h('details', { id: 'mi-weights-notes' }, h('summary', { class: 'muted' }, `${notes.length} notes: ${byKind}${why}`), findingsTable(notes, 'mi-weights-notes-table').el),
    ];
  };

  const select = (name: string, add: boolean) => {
    selected = add ? (selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name].slice(-8)) : [name];
    root.querySelectorAll<HTMLTableRowElement>('#mi-weights-tensors tbody tr, #mi-weights-others tbody tr').forEach((tr) => tr.classList.toggle('selected', selected.includes(tr.dataset.tensor ?? '')));
    void refreshSelection();
  };

  const findingsTable = (findings: Finding[], id = 'mi-weights-findings') => sortableTable<Finding>(id, [
    { key: 'severity', title: 'Severity', value: (f) => SEVERITY_RANK[f.severity], render: (f) => h('span', { class: `sev-${f.severity}` }, f.severity) },
    { key: 'kind', title: 'Finding', value: (f) => f.kind },
    { key: 'tensor', title: 'Tensor', value: (f) => f.tensor, render: (f) => h('a', { 'data-show': f.tensor }, f.tensor) },
    { key: 'message', title: 'Detail', value: (f) => f.message },
    { key: 'node', title: 'Node', value: (f) => f.nodeIds[0] ?? null, render: (f) => (f.nodeIds.length ? h('a', { 'data-node': f.nodeIds[0] }, f.nodeIds[0] + (f.nodeIds.length > 1 ? ` +${f.nodeIds.length - 1}` : '')) : '—') },
  ], findings, {
    initial: { key: 'severity', dir: 1 },
    rowAttrs: (f) => ({ 'data-kind': f.kind, 'data-tensor': f.tensor }),
    onRow: (f, ev) => {
      const target = ev.target as HTMLElement;
      if (target.dataset.node) {
        ctx.selectNode(target.dataset.node);
        ctx.navigate('graph', target.dataset.node);
      } else select(f.tensor, false);
    },
  });

  const render = (s: ModelStats) => {
    stats = s;
    const bad = s.findings.filter((f) => f.severity !== 'info').length;
    const weights = s.tensors.filter((t) => !t.role);
    const others = s.tensors.filter((t) => t.role);
    status.textContent = `${weights.length} weight tensors${others.length ? ` (+${others.length} not weights)` : ''}, ${s.model.count.toLocaleString('en-US')} values, ${s.findings.length} findings (${bad} warnings or errors); computed in ${s.elapsedMs} ms`;
    const rowOpts = {
      rowAttrs: (t: TensorStats) => ({ 'data-tensor': t.name, class: selected.includes(t.name) ? 'selected' : '' }),
      onRow: (t: TensorStats, ev: MouseEvent) => select(t.name, ev.ctrlKey || ev.metaKey || ev.shiftKey),
    };
    tensorTable = sortableTable<TensorStats>('mi-weights-tensors', tensorColumns, weights, rowOpts);
    // Buffers, counters, optimizer state and shape constants: listed apart, with their numbers, out of the health check.
    const otherSection = others.length ? [
      h('h3', { id: 'mi-weights-others-title' }, `Not weights: ${roleCounts(others)}`),
      h('p', { class: 'muted' }, 'Stored beside the weights (normalization statistics, step counters, a training checkpoint\'s optimizer state, graph constants): not in the health check, the groups or the whole-model numbers.'),
      sortableTable<TensorStats>('mi-weights-others', otherColumns, others, { ...rowOpts, initial: { key: 'role', dir: 1 } }).el,
    ] : [];
    const groups = sortableTable<GroupStats>('mi-weights-groups', groupColumns, s.groups, {
      rowAttrs: (g) => ({ 'data-group': g.name }),
      onRow: (g) => {
        selected = [];
        showBlock(`Group ${g.name}`, g);
      },
    });
    const body = root.querySelector('.mi-weights-body')!;
    body.replaceChildren(
      ...healthSection(s.findings),
      h('div', { class: 'bar' }, h('h3', {}, 'Tensors'), filter, h('span', { class: 'muted' }, 'Ctrl/Shift-click rows to overlay histograms')),
      tensorTable.el,
      ...otherSection,
      h('h3', {}, 'Groups'),
      groups.el,
    );
    showBlock('Whole model', s.model);
    if (pendingShow) {
      select(pendingShow, false);
      pendingShow = undefined;
    }
  };

  const load = async () => {
    try {
      render(await ctx.rpc.call('getWeightStats', {}, {
        timeoutMs: 0,
        onProgress: (p) => (status.textContent = `Computing weight statistics… ${Math.round((p.fraction ?? 0) * 100)}%`),
      }));
    } catch (e) {
      status.textContent = `Weight statistics failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  return {
    id: 'weights',
    title: 'Weights',
    mount(container, c) {
      ctx = c;
      adoptWeightsStyles();
      root = h('div', { class: 'mi-weights' },
        h('div', { class: 'bar' },
          h('label', {}, 'Bins', binsSel),
          h('label', {}, logBox, 'Log counts'),
          h('label', {}, symBox, 'Symmetric range'),
          h('label', { title: 'Quantized tensors: bin the stored integers' }, rawBox, 'Raw integers'),
          h('label', {}, 'Colour graph by', overlaySel),
          status),
        h('div', { class: 'chart-box' }, h('div', {}, chartTitle, chart), factsBox),
        h('div', { class: 'mi-weights-body' }));
      container.replaceChildren(root);
      for (const el of [binsSel, symBox, rawBox]) el.addEventListener('change', () => void refreshSelection());
      logBox.addEventListener('change', redraw);
      overlaySel.addEventListener('change', () => {
        if (!stats) return;
        const key = overlaySel.value as keyof typeof OVERLAY_STATS | '';
        ctx.setOverlay(key ? overlayFor(stats, key) : undefined);
      });
      filter.addEventListener('input', () => {
        const q = filter.value.toLowerCase();
        tensorTable?.setRows(stats!.tensors.filter((t) => !t.role).filter((t) => t.name.toLowerCase().includes(q) || t.group.toLowerCase().includes(q)));
      });
      new ResizeObserver(() => redraw()).observe(chart);
      void load();
    },
    show(arg) {
      if (typeof arg !== 'string') return;
      if (stats) select(arg, false);
      else pendingShow = arg;
    },
  };
}

export const weightsTab: Tab = createWeightsTab();
