import type { Tab, TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { createJob } from '../shell/job';
import { refreshRunGate } from '../shell/run-gate';
import { cannotRun } from '../../src/protocol/summary';
import type { AttentionHeadResult, AttentionMapsResult, AttentionParams, HeadSummary, LensResult } from '../../src/protocol/attention';
import { adoptAttentionStyles } from './styles';
import { drawHeadMap, drawThumb, fromBase64, type MapLayout } from './draw';

// The Attention tab: a prompt in; a layer × head grid of thumbnails (sortable by the head summaries), one head's
// token-to-token map with hover weights and a sentence on what the head does, and the logit lens table. The engine
// sends thumbnails (≤ 32×32 bytes a head) and the selected head's map only, never all maps of a long prompt.
// Stable ids (tests use them): mi-attn-prompt, -tokenizer, -target, -run, -sort, -unavailable, -grid, -map, -hover,
// -role, -lens, -lens-unavailable; thumbnails are canvas.mi-attn-thumb[data-layer][data-head].
// `navigate('attention', {nodeId} | {scope})` from the Graph opens the layer of that Softmax or group.

type SortKey = 'head' | keyof Pick<HeadSummary, 'entropy' | 'firstToken' | 'prevToken' | 'induction'>;
const SORTS: [SortKey, string][] = [
  ['head', 'head number'], ['entropy', 'entropy (focused first)'], ['firstToken', 'first-token weight'],
  ['prevToken', 'previous-token score'], ['induction', 'induction score'],
];

export interface AttentionTarget {
  nodeId?: string;
  scope?: string;
}

export function createAttentionTab(): Tab {
  let ctx: TabContext;
  let maps: AttentionMapsResult | undefined;
  let lens: LensResult | undefined;
  let asked: AttentionParams | undefined;
  let selected: { layer: number; head: number } | undefined;
  let pendingTarget: AttentionTarget | undefined;
  let headSeq = 0;
  const notice = h('p', { id: 'mi-attn-untrusted', class: 'mi-warnings', hidden: true },
    'Attention maps run the model, which is disabled in Restricted Mode: nothing runs until you trust this workspace.');
  const cannot = h('p', { id: 'mi-attn-cannot', class: 'mi-warnings', hidden: true });
  let body: HTMLElement | undefined;
  const prompt = h('textarea', { id: 'mi-attn-prompt', placeholder: 'prompt (token ids separated by spaces when the model has no tokenizer.json)' });
  const tokenizer = h('input', { id: 'mi-attn-tokenizer', type: 'text', size: '30', placeholder: 'tokenizer.json (default: beside the model)' });
  const target = h('input', { id: 'mi-attn-target', type: 'text', size: '12', placeholder: 'lens target' });
  const runButton = custom('vscode-button', { id: 'mi-attn-run' }, 'Show attention');
  const sortRow = h('div', { class: 'mi-attn-row', hidden: true });
  const sort = h('select', { id: 'mi-attn-sort', title: 'order of the heads in each layer row' }, ...SORTS.map(([k, label]) => h('option', { value: k }, label)));
  const job = createJob('attn', () => refresh());
  const unavailable = h('p', { id: 'mi-attn-unavailable', class: 'mi-warnings mi-wrap', hidden: true });
  const info = h('p', { id: 'mi-attn-info', class: 'mi-muted mi-wrap' });
  const grid = h('div', { id: 'mi-attn-grid', class: 'mi-attn-grid' });
  const scale = h('select', { id: 'mi-attn-scale', title: 'how the map\'s colours are scaled' },
    h('option', { value: 'head' }, 'the head\'s largest weight'), h('option', { value: 'row' }, 'each row\'s largest weight'));
  const mapCanvas = h('canvas', { id: 'mi-attn-map', class: 'mi-attn-map', hidden: true });
  const hover = h('div', { id: 'mi-attn-hover', class: 'mi-attn-hover' });
  const role = h('p', { id: 'mi-attn-role', class: 'mi-attn-role mi-wrap' });
  const lensBox = h('div', { class: 'mi-attn-scroll', hidden: true });
  const lensUnavailable = h('p', { id: 'mi-attn-lens-unavailable', class: 'mi-warnings mi-wrap', hidden: true });
  const lensInfo = h('p', { class: 'mi-muted mi-wrap' });
  let head: { r: AttentionHeadResult; w: Float32Array; layout: MapLayout } | undefined;

  const tokens = () => (maps?.tokens ?? lens?.tokens ?? []).map((t) => t.text);

  const refresh = () => {
    refreshRunGate({ notice, cannot, body, button: runButton }, ctx.summary, ctx.trusted, job.running);
  };

  const value = (s: HeadSummary, k: SortKey) => (k === 'head' ? 0 : k === 'entropy' ? -s.entropy : s[k]);

  const renderGrid = () => {
    grid.replaceChildren();
    if (!maps || !maps.thumbs) return;
    const { rows, cols, layers } = maps.thumbs;
    const key = sort.value as SortKey;
    const most = Math.max(0, ...maps.layers.map((l) => l.heads.length));
    grid.style.gridTemplateColumns = `auto repeat(${most}, 40px)`;
    for (const [k, l] of maps.layers.entries()) {
      const label = h('span', { class: `mi-attn-layer${selected?.layer === l.index ? ' current' : ''}`, 'data-layer': l.index, title: l.node }, `layer ${l.index}`);
      label.addEventListener('click', () => void selectHead(l.index, bestHead(l.index)));
      grid.append(label);
      const bytes = fromBase64(layers[k]);
      const order = l.heads.map((_, i) => i);
      if (key !== 'head') order.sort((a, b) => value(l.heads[b], key) - value(l.heads[a], key));
      for (let n = 0; n < most; n++) {
        const hIdx = order[n];
        if (hIdx === undefined) {
          grid.append(h('span', {}));
          continue;
        }
        const s = l.heads[hIdx];
        const c = h('canvas', {
          class: `mi-attn-thumb${selected?.layer === l.index && selected.head === hIdx ? ' selected' : ''}`,
          'data-layer': l.index, 'data-head': hIdx,
          title: `layer ${l.index} head ${hIdx}: ${s.role}\nentropy ${s.entropy.toFixed(2)} · first ${s.firstToken.toFixed(2)} · prev ${s.prevToken.toFixed(2)} · induction ${s.induction.toFixed(2)}`,
        });
        drawThumb(c, bytes.subarray(hIdx * rows * cols, (hIdx + 1) * rows * cols), rows, cols);
        c.addEventListener('click', () => void selectHead(l.index, hIdx));
        grid.append(c);
      }
    }
  };

  /** The head a layer opens on: the one the current sort ranks first. */
  const bestHead = (layer: number) => {
    const l = maps?.layers.find((x) => x.index === layer);
    if (!l) return 0;
    const key = sort.value as SortKey;
    if (key === 'head') return 0;
    let best = 0;
    for (let i = 1; i < l.heads.length; i++) if (value(l.heads[i], key) > value(l.heads[best], key)) best = i;
    return best;
  };

  const describe = (r: AttentionHeadResult) => {
    const s = r.summary;
    role.replaceChildren(
      h('strong', {}, `Layer ${r.layer}, head ${r.head}: `), s.role, '.',
      h('br'),
      h('span', { class: 'mi-muted' }, `entropy ${s.entropy.toFixed(3)} nats · first token ${s.firstToken.toFixed(3)} · previous token ${s.prevToken.toFixed(3)} · induction ${s.induction.toFixed(3)} · self ${s.self.toFixed(3)}`),
    );
  };

  const selectHead = async (layer: number, hIdx: number) => {
    if (!asked || !maps) return;
    selected = { layer, head: hIdx };
    renderGrid();
    const seq = ++headSeq;
    hover.textContent = 'loading the map…';
    try {
      const r = await ctx.rpc.call('attentionHead', { ...asked, layer, head: hIdx }, { timeoutMs: 0 });
      if (seq !== headSeq) return;
      const q = fromBase64(r.weights);
      const u16 = new Uint16Array(q.buffer, q.byteOffset, q.byteLength / 2);
      const w = Float32Array.from(u16, (x) => x / 65535);
      mapCanvas.hidden = false;
      const layout = drawHeadMap(mapCanvas, w, r.rows, r.cols, tokens(), scale.value === 'row');
      head = { r, w, layout };
      hover.textContent = 'hover the map for weights';
      describe(r);
    } catch (e) {
      if (seq === headSeq) hover.textContent = `Could not load the map: ${e instanceof Error ? e.message : String(e)}`;
    }
  };

  mapCanvas.addEventListener('mousemove', (e) => {
    if (!head) return;
    const rect = mapCanvas.getBoundingClientRect();
    const x = ((e.clientX - rect.left) * mapCanvas.width) / rect.width - head.layout.margin;
    const y = ((e.clientY - rect.top) * mapCanvas.height) / rect.height - head.layout.margin;
    const i = Math.floor(y / head.layout.cell);
    const j = Math.floor(x / head.layout.cell);
    if (i < 0 || j < 0 || i >= head.r.rows || j >= head.r.cols) return;
    const t = tokens();
    hover.textContent = `query ${i} ${JSON.stringify(t[i] ?? '')} → key ${j} ${JSON.stringify(t[j] ?? '')}: ${head.w[i * head.r.cols + j].toFixed(4)}`;
  });

  const renderLens = () => {
    lensUnavailable.hidden = !lens?.unavailable;
    lensUnavailable.textContent = lens?.unavailable ?? '';
    lensBox.hidden = !lens || !!lens.unavailable;
    if (!lens || lens.unavailable) {
      lensInfo.textContent = '';
      return;
    }
    const r = lens;
    lensInfo.textContent = `Logit lens: the residual stream after each block, put through the final norm (${r.head?.norm ?? '?'}) and the unembedding (${r.head?.unembedding ?? '?'}); each cell is the top-1 token at that position with its probability.`
      + (r.target ? ` Target ${JSON.stringify(r.target.text)} at position ${r.position}: its probability and rank by layer in the last column.` : '');
    const table = h('table', { id: 'mi-attn-lens', class: 'mi-lens' });
    const headRow = h('tr', {}, h('th', {}, 'layer'), ...r.tokens.map((t, i) => h('th', { title: `position ${i}` }, `${i} ${t.text.replace(/\s/g, '·').slice(0, 10)}`)));
    if (r.target) headRow.append(h('th', {}, `p(${r.target.text.slice(0, 10)}) / rank`));
    table.append(h('thead', {}, headRow));
    const tbody = h('tbody');
    // the layer from which the target stays top-1 to the end: where the model settles on it
    const settled = r.target ? r.layers.findIndex((_, k) => r.layers.slice(k).every((x) => x.target?.rank === 1)) : -1;
    for (const [k, l] of r.layers.entries()) {
      const tr = h('tr', {}, h('th', { title: l.node }, String(l.index)));
      for (const c of l.top) {
        const td = h('td', { title: `p ${c.p.toFixed(4)} (id ${c.id})` }, `${c.text.replace(/\s/g, '·').slice(0, 10)} ${(c.p * 100).toFixed(0)}%`);
        td.style.background = `color-mix(in srgb, var(--vscode-charts-blue, #3794ff) ${Math.round(c.p * 70)}%, transparent)`;
        tr.append(td);
      }
      if (r.target && l.target) tr.append(h('td', { class: `tgt${k === settled ? ' settled' : ''}` }, `${(l.target.p * 100).toFixed(1)}% / #${l.target.rank}`));
      tbody.append(tr);
    }
    table.append(tbody);
    lensBox.replaceChildren(table);
  };

  const render = () => {
    unavailable.hidden = !maps?.unavailable;
    sortRow.hidden = !maps?.layers.length;
    unavailable.textContent = maps?.unavailable ?? '';
    if (maps && !maps.unavailable) {
      const heads = maps.layers[0]?.heads.length ?? 0;
      info.textContent = `${maps.tokens.length} tokens, ${maps.layers.length} layers × ${heads} heads (${maps.provider}; tokens from ${maps.tokenizer}). Click a thumbnail for its map, a layer for its best head by the sort.`
        + (maps.notes.length ? ` Note: ${maps.notes.join('; ')}.` : '');
    } else info.textContent = '';
    renderGrid();
    renderLens();
  };

  /** Opens the layer a Graph click named (a Softmax node or a group), once maps are there. */
  const openTarget = () => {
    if (!pendingTarget || !maps || maps.unavailable) return;
    const t = pendingTarget;
    const l = maps.layers.find((x) => x.nodeId === t.nodeId)
      ?? maps.layers.find((x) => t.scope !== undefined && (x.scope === t.scope || x.scope.startsWith(`${t.scope}/`) || x.node.startsWith(`/${t.scope}/`)));
    if (!l) return;
    pendingTarget = undefined;
    void selectHead(l.index, bestHead(l.index));
    grid.querySelector(`[data-layer="${l.index}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  const run = async () => {
    refresh();
    if (!ctx.trusted || cannotRun(ctx.summary) || job.running || !prompt.value.trim()) return;
    const params: AttentionParams = { prompt: prompt.value };
    if (tokenizer.value.trim()) params.tokenizer = tokenizer.value.trim();
    const tgt = target.value.trim();
    await job.run(async ({ signal, onProgress }) => {
      maps = undefined;
      lens = undefined;
      selected = undefined;
      head = undefined;
      mapCanvas.hidden = true;
      role.textContent = '';
      hover.textContent = '';
      render();
      maps = await ctx.rpc.call('attentionMaps', params, { signal, timeoutMs: 0, onProgress });
      asked = params;
      render();
      if (maps.layers.length) {
        if (pendingTarget) openTarget();
        else void selectHead(maps.layers[0].index, bestHead(maps.layers[0].index));
      }
      lens = await ctx.rpc.call('logitLens', { ...params, ...(tgt ? { target: /^\d+$/.test(tgt) ? Number(tgt) : tgt } : {}) }, { signal, timeoutMs: 0, onProgress });
      render();
    });
  };

  return {
    id: 'attention',
    title: 'Attention',
    mount(container, c) {
      ctx = c;
      adoptAttentionStyles();
      runButton.addEventListener('click', () => void run());
      sortRow.append('sort heads by ', sort);
      sort.addEventListener('change', renderGrid);
      scale.addEventListener('change', () => {
        if (head) head.layout = drawHeadMap(mapCanvas, head.w, head.r.rows, head.r.cols, tokens(), scale.value === 'row');
      });
      container.append(
        notice, cannot,
        body = h('div', { id: 'mi-attn-body', class: 'mi-attn' },
          h('div', { class: 'mi-muted mi-wrap' }, 'Which tokens each head looks at, and at which layer the answer appears (ONNX language models with eager attention). A Softmax or a layer\'s group in the Graph opens its maps here.'),
          prompt,
          h('div', { class: 'mi-attn-row' }, 'tokenizer ', tokenizer, ' lens target ', target, runButton, job.cancelButton, job.status),
          job.error, unavailable, info,
          sortRow,
          h('div', { class: 'mi-attn-main' }, grid, h('div', { class: 'mi-attn-head' }, role, h('div', { class: 'mi-attn-row' }, 'colours scaled to ', scale), mapCanvas, hover)),
          lensUnavailable, lensInfo, lensBox),
      );
      refresh();
    },
    show(arg) {
      refresh();
      if (arg && typeof arg === 'object') {
        pendingTarget = arg as AttentionTarget;
        if (maps) openTarget();
        else info.textContent = 'Enter a prompt and press "Show attention" to see this layer\'s maps.';
      }
    },
  };
}
