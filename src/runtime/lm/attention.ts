import type { Model } from '../../model/graph';
import { ModelError } from '../../model/errors';
import { float16ToNumber } from '../../model/float-bits';
import type { NdArray } from '../../formats/arrays/ndarray';
import type { AttentionHeadResult, AttentionMapsResult, AttentionParams, HeadSummary } from '../../protocol/attention';
import { backendWith } from '../backends/registry';
import { oneLine } from '../../model/errors';
import { findAttention, type AttentionSite } from './attention-pattern';
import { summarizeHead, thumbSize, thumbnail } from './attention-summary';
import { openLanguageModel, promptIds, type OpenedLm } from './open';
import { TensorTokenModel } from './tensor-token-model';

export interface AttentionOptions extends AttentionParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** One layer's maps for the prompt: heads × rows × cols, row-major. */
export interface LayerMaps {
  site: AttentionSite;
  heads: number;
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface PromptAttention {
  opened: OpenedLm;
  ids: number[];
  sites: AttentionSite[];
  notes: string[];
}

/**
 * Probabilities read per forward pass: a 1,000-token prompt on 12 heads is 48 MB a layer, so a 12-layer model takes
 * two passes. Each pass is a whole forward pass, so fewer is faster; the bound keeps the engine's memory in check.
 */
const PASS_BYTES = 512 * 2 ** 20;
/** Heads assumed before the first pass says how many a layer has (when the graph does not). */
const GUESS_HEADS = 16;

/** The prompt's ids and the layers to read, or why there are no maps (a sentence, not an error). */
export async function preparePrompt(model: Model, o: AttentionOptions): Promise<PromptAttention | { unavailable: string }> {
  const found = findAttention(model);
  if ('unavailable' in found) return found;
  backendWith(model, 'activations', 'Attention maps');
  const opened = await openLanguageModel(model, o);
  if (!(opened.lm instanceof TensorTokenModel)) return { unavailable: `Attention maps are unavailable: ${opened.session.provider} runs this model and exposes no intermediate values.` };
  const ids = await promptIds(model, opened, o.prompt);
  return { opened, ids, sites: found.sites, notes: found.notes };
}

/** Runs the prompt once per group of layers, adding only those layers' probabilities as outputs. */
export async function readLayers(model: Model, p: PromptAttention, sites: AttentionSite[], o: AttentionOptions, each: (m: LayerMaps) => void): Promise<void> {
  const backend = backendWith(model, 'activations', 'Attention maps');
  const lm = p.opened.lm as TensorTokenModel;
  const feeds = lm.feeds([p.ids]);
  const t = p.ids.length;
  // the first pass guesses a layer's bytes (the graph's head count, else 16 heads); the layers read then say it
  const shape = model.graph.values.get(sites[0]?.value ?? '')?.shape;
  const heads = shape?.length === 4 && typeof shape[1] === 'number' ? shape[1] : GUESS_HEADS;
  let perLayer = heads * t * t * 4;
  for (let g = 0; g < sites.length;) {
    if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    const group = Math.max(1, Math.floor(PASS_BYTES / perLayer));
    const chunk = sites.slice(g, g + group);
    g += chunk.length;
    o.onProgress?.(g / sites.length, `reading attention of layer${chunk.length > 1 ? 's' : ''} ${chunk[0].index}${chunk.length > 1 ? `–${chunk[chunk.length - 1].index}` : ''}`);
    let got: Map<string, NdArray>;
    try {
      got = await backend.intermediates!(model, p.opened.session, feeds, chunk.map((s) => s.value), o.signal);
    } catch (e) {
      if (e instanceof ModelError || (e as Error).name === 'AbortError') throw e;
      throw new ModelError(model.path, `the attention probabilities could not be read (${oneLine(e)})`);
    }
    for (const site of chunk) {
      const m = layerMaps(model, site, got.get(site.value), t);
      perLayer = m.data.byteLength;
      each(m);
    }
    got.clear();
  }
}

/** [1, H, T, Tk] or [H, T, Tk] (a [B·H, T, Tk] Softmax with B = 1) as heads × rows × cols. */
function layerMaps(model: Model, site: AttentionSite, a: NdArray | undefined, t: number): LayerMaps {
  if (!a) throw new ModelError(model.path, `the attention probabilities ${site.value} did not come back`);
  if (a.dtype !== 'float32' && a.dtype !== 'float16') throw new ModelError(model.path, `the attention probabilities ${site.value} are ${a.dtype}, not float`);
  const s = a.shape;
  const ok = (s.length === 4 && s[0] === 1) || s.length === 3;
  const [heads, rows, cols] = s.length === 4 ? [s[1], s[2], s[3]] : [s[0], s[1], s[2]];
  if (!ok || rows !== t) throw new ModelError(model.path, `the attention probabilities ${site.value} have shape [${s.join(', ')}], expected [1, heads, ${t}, ${t}]`);
  const data = a.data instanceof Float32Array ? a.data : a.dtype === 'float16' ? Float32Array.from(a.data as Uint16Array, float16ToNumber) : Float32Array.from(a.data as ArrayLike<number>);
  return { site, heads, rows, cols, data };
}

/** The map of one head of a layer. */
export function headMap(m: LayerMaps, h: number): Float32Array {
  return m.data.subarray(h * m.rows * m.cols, (h + 1) * m.rows * m.cols);
}

export function summarizeLayer(m: LayerMaps, ids: readonly number[], piece?: (id: number) => string): HeadSummary[] {
  return Array.from({ length: m.heads }, (_, h) => summarizeHead(headMap(m, h), m.rows, m.cols, ids, piece));
}

/**
 * The last prompt's maps per model, as the panel gets them (weight·65535 in a uint16, half a float's bytes), with
 * their summaries: a click on a head answers at once. Layers past the bound are read again when asked for.
 */
const KEEP_BYTES = 512 * 2 ** 20;
interface KeptLayer {
  heads: number;
  rows: number;
  cols: number;
  q: Uint16Array;
  summaries: HeadSummary[];
}
const kept = new WeakMap<Model, { key: string; layers: Map<number, KeptLayer> }>();
const keyOf = (o: AttentionParams) => JSON.stringify([o.prompt, o.tokenizer ?? null, o.providers ?? null]);

function quantize(a: Float32Array): Uint16Array {
  const q = new Uint16Array(a.length);
  for (let k = 0; k < a.length; k++) q[k] = Math.round(Math.min(1, Math.max(0, a[k])) * 65535);
  return q;
}

/**
 * Every layer's per-head summaries and thumbnails for a prompt. `onLayer` sees each layer's full maps once (the
 * CLI writes them out); only summaries and small thumbnails are returned.
 */
export async function attentionMaps(model: Model, o: AttentionOptions, onLayer?: (m: LayerMaps) => Promise<void> | void): Promise<AttentionMapsResult> {
  const t0 = performance.now();
  o.onProgress?.(0, 'loading model');
  const p = await preparePrompt(model, o);
  if ('unavailable' in p) return { provider: '', tokenizer: '', tokens: [], layers: [], unavailable: p.unavailable, ms: performance.now() - t0, notes: [] };
  const { opened, ids } = p;
  const result: AttentionMapsResult = {
    provider: opened.session.provider,
    tokenizer: opened.tokenizer.source,
    tokens: ids.map((id) => ({ id, text: opened.tokenizer.piece(id) })),
    layers: [],
    thumbs: { rows: 0, cols: 0, layers: [] },
    ms: 0,
    notes: [...p.notes],
  };
  const keep = new Map<number, KeptLayer>();
  let keptBytes = 0;
  const pending: Promise<void>[] = [];
  await readLayers(model, p, p.sites, o, (m) => {
    const summaries = summarizeLayer(m, ids, (id) => opened.tokenizer.piece(id));
    result.layers.push({ index: m.site.index, node: m.site.node, nodeId: m.site.nodeId, scope: m.site.scope, heads: summaries });
    const [rows, cols] = thumbSize(m.rows, m.cols);
    const bytes = new Uint8Array(m.heads * rows * cols);
    for (let h = 0; h < m.heads; h++) thumbnail(headMap(m, h), m.rows, m.cols, bytes.subarray(h * rows * cols, (h + 1) * rows * cols), rows, cols);
    result.thumbs = { rows, cols, layers: [...result.thumbs!.layers, Buffer.from(bytes).toString('base64')] };
    keptBytes += m.data.byteLength / 2;
    if (keptBytes <= KEEP_BYTES) keep.set(m.site.index, { heads: m.heads, rows: m.rows, cols: m.cols, q: quantize(m.data), summaries });
    if (onLayer) pending.push(Promise.resolve(onLayer(m)));
  });
  await Promise.all(pending);
  kept.set(model, { key: keyOf(o), layers: keep });
  if (opened.tokenizer.source.startsWith('none')) result.notes.push('no tokenizer: the prompt was read as token ids, and tokens show as #id');
  result.ms = performance.now() - t0;
  return result;
}

/** One head's full map, for the view that shows it (from the last prompt's maps when kept, else read again). */
export async function attentionHead(model: Model, o: AttentionOptions & { layer: number; head: number }): Promise<AttentionHeadResult> {
  const p = await preparePrompt(model, o);
  if ('unavailable' in p) throw new ModelError(model.path, p.unavailable);
  const site = p.sites[o.layer];
  if (!site) throw new ModelError(model.path, `layer ${o.layer} does not exist: the model has ${p.sites.length} attention layers`);
  const have = kept.get(model);
  let k = have?.key === keyOf(o) ? have.layers.get(o.layer) : undefined;
  if (!k) {
    await readLayers(model, p, [site], o, (m) => {
      k = { heads: m.heads, rows: m.rows, cols: m.cols, q: new Uint16Array(0), summaries: [] };
      if (o.head < m.heads) {
        const a = headMap(m, o.head);
        k.summaries[o.head] = summarizeHead(a, m.rows, m.cols, p.ids, (id) => p.opened.tokenizer.piece(id));
        k.q = new Uint16Array(m.heads * m.rows * m.cols);
        k.q.set(quantize(a), o.head * m.rows * m.cols);
      }
    });
  }
  const layer = k!;
  if (o.head >= layer.heads) throw new ModelError(model.path, `head ${o.head} does not exist: layer ${o.layer} has ${layer.heads} heads`);
  const n = layer.rows * layer.cols;
  const q = layer.q.subarray(o.head * n, (o.head + 1) * n);
  return {
    layer: o.layer,
    head: o.head,
    rows: layer.rows,
    cols: layer.cols,
    weights: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString('base64'),
    summary: layer.summaries[o.head],
  };
}
