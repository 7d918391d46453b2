import type { Model } from '../model/graph';
import type { Tensor } from '../model/tensor';
import { ModelError } from '../model/errors';
import { decodeBytes, decodeValues, dequantize, storedBytes } from '../stats/decode';
import { intervals, linearEdges, rebin, toSparse } from '../stats/fine-histogram';
import { CHUNK_ELEMENTS } from '../stats/scan';
import { storedDType } from '../stats/weight-context';
import type { Histogram, ScopeChange, TensorMatchKind } from '../protocol/compare';
import type { TensorMatch, TensorPair } from './match-tensors';
import { matchTensors } from './match-tensors';
import { PairAccumulator } from './pair-accumulator';

/**
 * Per matched weight pair: relative change ‖a−b‖/‖a‖, cosine, max |a−b| and a histogram of a−b, in ONE streaming
 * pass over both tensors' bytes, chunk by chunk (CHUNK_ELEMENTS elements of each side at a time, the next chunk read
 * while this one is summed; float32 chunks are typed views of the bytes read, other dtypes are decoded with
 * src/stats/decode into float64; pair-accumulator.ts sums them). Then per scope (the weight name's path prefix),
 * scopes that changed most first.
 *
 * Histogram: the range is not known before the pass, so the pass counts each difference in a fine bin of its
 * float32 bit pattern (65536 bins, each 2^-7 of its magnitude wide, the stats module's fine histogram); at the end
 * the fine bins are rebinned onto `bins` equal bins over [−maxAbsDiff, +maxAbsDiff]. Counts are exact except for
 * differences within 2^-7 (relative) of a display edge, which are split between the two bins in proportion.
 *
 * A pair stored permuted (perm set: Keras kernel vs ONNX Gemm weight) is compared through the permutation: A is read
 * whole and laid out in B's order (at most PERMUTED_MAX elements), B streams against it.
 */

export interface TensorComparison {
  /** A's weight name. */
  name: string;
  /** B's weight name, when it differs. */
  b?: string;
  /** The normalized name the pair is grouped under (its scope is the path before the last segment). */
  key: string;
  matchedBy: TensorMatchKind;
  /** B's axis k is A's axis transposed[k] (compared through that permutation). */
  transposed?: number[];
  shape: number[];
  dtype: string;
  /** B's dtype when it differs. */
  dtypeB?: string;
  count: number;
  /** ‖a−b‖/‖a‖; null when ‖a‖ = 0 and b differs, or when not compared. */
  relChange: number | null;
  /** a·b/(‖a‖‖b‖); 1 when both are all zero, null when only one is or when not compared. */
  cosine: number | null;
  maxAbsDiff: number | null;
  normA: number | null;
  normB: number | null;
  /** Element pairs where a or b is NaN/±Inf (left out of every statistic). */
  nonFinite: number;
  histogram?: Histogram;
  /** Why this pair could not be compared. */
  problem?: string;
}

export interface WeightsComparison {
  tensors: TensorComparison[];
  scopes: ScopeChange[];
  unmatched: TensorMatch['unmatched'];
  mismatched: TensorMatch['mismatched'];
  /** Over all compared pairs: ‖a−b‖/‖a‖ of the concatenated weights. */
  relChange: number | null;
  /** Bytes read, both sides. */
  bytes: number;
}

export interface CompareWeightsOptions {
  bins?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Largest tensor compared through a permutation (A is held whole, as float64). */
export const PERMUTED_MAX = 1 << 25;

/** Reads one side's tensor chunk by chunk into reused buffers. */
class ChunkReader {
  readonly f64 = new Float64Array(CHUNK_ELEMENTS);
  private readonly bytes = new Uint8Array(CHUNK_ELEMENTS * 8);
  bytesRead = 0;

  /** True when chunks of `t` come as float32 views (no decoding). */
  static plainFloat32(t: Tensor): boolean {
    return storedDType(t) === 'float32' && !t.quantization && !!t.data;
  }

  static problem(t: Tensor): string | undefined {
    if (t.problem) return t.problem;
    if (t.values && !t.data) return t.values.length && typeof t.values[0] === 'string' ? 'string tensors are not compared' : undefined;
    const d = storedDType(t);
    if (!storedBytes(d)) return `${d} values are not compared`;
    if (!t.data && t.elementCount > 0) return 'tensor bytes are not available';
    return undefined;
  }

  /**
   * Elements [first, first+len) as float32 (views, when `f32` and the tensor is plain float32; read into `into` when
   * given and the source can) or float64.
   */
  async chunk(t: Tensor, first: number, len: number, f32: boolean, into?: Uint8Array): Promise<Float32Array | Float64Array> {
    if (t.values && !t.data) {
      decodeValues(t.values as ArrayLike<number> | ArrayLike<bigint>, first, this.f64, len);
      if (t.quantization) dequantize(t.quantization, this.f64, len, first, t.shape);
      return this.f64;
    }
    const d = storedDType(t);
    const size = storedBytes(d)!;
    const offset = Math.floor(first * size);
    const nbytes = Math.ceil(len * size);
    if (f32 && into && t.data!.readInto) {
      await t.data!.readInto(offset, nbytes, into);
      this.bytesRead += nbytes;
      return new Float32Array(into.buffer, into.byteOffset, len);
    }
    const raw = await t.data!.read(offset, nbytes);
    this.bytesRead += nbytes;
    if (f32) {
      const b = raw.byteOffset % 4 === 0 ? raw : (this.bytes.set(raw), this.bytes.subarray(0, nbytes));
      return new Float32Array(b.buffer, b.byteOffset, len);
    }
    // Packed 4-bit types: every chunk but the last holds an even number of elements, so each chunk starts on a byte.
    decodeBytes(d, raw, this.f64, len, this.bytes);
    if (t.quantization) dequantize(t.quantization, this.f64, len, first, t.shape);
    return this.f64;
  }
}

let lastYield = 0;
async function breathe(signal: AbortSignal | undefined): Promise<void> {
  const now = performance.now();
  if (now - lastYield > 30) {
    lastYield = now;
    await new Promise<void>((r) => setImmediate(r));
  }
  if (signal?.aborted) throw Object.assign(new Error('weights comparison was cancelled'), { name: 'AbortError' });
}

/** A read whole, laid out in B's axis order (b.shape[k] = a.shape[perm[k]]). */
async function permutedWhole(a: Tensor, perm: number[], reader: ChunkReader): Promise<Float64Array> {
  const n = a.elementCount;
  const src = new Float64Array(n);
  for (let first = 0; first < n; first += CHUNK_ELEMENTS) {
    const len = Math.min(CHUNK_ELEMENTS, n - first);
    src.set((await reader.chunk(a, first, len, false)).subarray(0, len), first);
  }
  const rank = a.shape.length;
  const strideA = new Array<number>(rank).fill(1);
  for (let k = rank - 2; k >= 0; k--) strideA[k] = strideA[k + 1] * a.shape[k + 1];
  const shapeB = perm.map((p) => a.shape[p]);
  const step = perm.map((p) => strideA[p]); // A offset per step along B's axis k
  const out = new Float64Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let j = 0; j < n; j++) {
    out[j] = src[off];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < shapeB[k]) {
        off += step[k];
        break;
      }
      off -= step[k] * (shapeB[k] - 1);
      idx[k] = 0;
    }
  }
  return out;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

async function comparePair(p: TensorPair, ra: ChunkReader, rb: ChunkReader, acc: PairAccumulator, bins: number, signal?: AbortSignal): Promise<TensorComparison> {
  const { a, b } = p;
  const base: TensorComparison = {
    name: a.name, ...(b.name !== a.name ? { b: b.name } : {}), key: p.key, matchedBy: p.by,
    ...(p.perm ? { transposed: p.perm } : {}),
    shape: a.shape, dtype: a.dtype, ...(b.dtype !== a.dtype ? { dtypeB: b.dtype } : {}),
    count: a.elementCount, relChange: null, cosine: null, maxAbsDiff: null, normA: null, normB: null, nonFinite: 0,
  };
  const problem = ChunkReader.problem(a) ?? ChunkReader.problem(b);
  if (problem) return { ...base, problem };
  if (p.perm && a.elementCount > PERMUTED_MAX) return { ...base, problem: `too large to compare through a transpose (${a.elementCount} elements, at most ${PERMUTED_MAX})` };
  acc.reset();
  const n = a.elementCount;
  const fast = !p.perm && ChunkReader.plainFloat32(a) && ChunkReader.plainFloat32(b);
  const whole = p.perm ? await permutedWhole(a, p.perm, ra) : undefined;
  // Read-ahead: chunk k+1 is requested before chunk k is summed, so file reads (libuv threads) overlap the sums.
  // Safe with the readers' reused buffers: a chunk's bytes are copied/decoded in its continuation, which cannot run
  // before the synchronous sums of the previous chunk are done.
  // Float32 chunks are read into the kernel's two slots in turn (chunk k into slot k % 2), where they are summed.
  const fetch = (first: number) => {
    const len = Math.min(CHUNK_ELEMENTS, n - first);
    const slot = fast ? acc.slot(((first / CHUNK_ELEMENTS) & 1) as 0 | 1) : undefined;
    const p = Promise.all([whole ? whole.subarray(first, first + len) : ra.chunk(a, first, len, fast, slot?.[0]), rb.chunk(b, first, len, fast, slot?.[1])]);
    p.catch(() => undefined); // a read failing while the previous chunk is summed is reported when awaited
    return p;
  };
  let next = n > 0 ? fetch(0) : undefined;
  for (let first = 0; first < n; first += CHUNK_ELEMENTS) {
    const len = Math.min(CHUNK_ELEMENTS, n - first);
    const [ca, cb] = await next!;
    next = first + CHUNK_ELEMENTS < n ? fetch(first + CHUNK_ELEMENTS) : undefined;
    const ok = fast ? acc.add32(ca as Float32Array, cb as Float32Array, len) : acc.add64(ca as Float64Array, cb as Float64Array, len);
    if (!ok) acc.addCareful(ca, cb, len);
    await breathe(signal);
  }
  const rel = acc.aa > 0 ? Math.sqrt(acc.dd / acc.aa) : acc.dd === 0 ? 0 : Infinity;
  const cos = acc.aa > 0 && acc.bb > 0 ? acc.ab / Math.sqrt(acc.aa * acc.bb) : acc.aa === 0 && acc.bb === 0 ? 1 : NaN;
  const R = acc.max;
  let histogram: Histogram;
  const total = n - acc.nonFinite;
  if (R === 0) histogram = { edges: [0, 0], counts: [total] };
  else {
    const edges = linearEdges(-R, R, bins);
    histogram = { edges, counts: rebin(intervals(toSparse(acc.fine), -R, R), edges) };
  }
  return {
    ...base,
    relChange: finiteOrNull(rel),
    cosine: finiteOrNull(Math.max(-1, Math.min(1, cos))),
    maxAbsDiff: R,
    normA: Math.sqrt(acc.aa),
    normB: Math.sqrt(acc.bb),
    nonFinite: acc.nonFinite,
    histogram,
  };
}

/** "encoder.layer.3.attn.q.weight" → "encoder.layer.3.attn.q"; top-level names → "". */
export function scopeOfKey(key: string): string {
  const i = key.lastIndexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}

export function scopeChanges(tensors: TensorComparison[]): ScopeChange[] {
  const m = new Map<string, { tensors: number; changed: number; dd: number; aa: number; max: number; unknown: boolean }>();
  for (const t of tensors) {
    const s = scopeOfKey(t.key);
    const e = m.get(s) ?? { tensors: 0, changed: 0, dd: 0, aa: 0, max: 0, unknown: false };
    m.set(s, e);
    e.tensors++;
    if (t.problem || t.normA === null || t.relChange === null && t.maxAbsDiff === null) {
      e.unknown = true;
      continue;
    }
    const dd = t.relChange !== null ? (t.relChange * t.normA) ** 2 : Infinity;
    e.dd += dd;
    e.aa += t.normA * t.normA;
    e.max = Math.max(e.max, t.maxAbsDiff ?? 0);
    if ((t.maxAbsDiff ?? 0) > 0) e.changed++;
  }
  const out: ScopeChange[] = [...m].map(([scope, e]) => ({
    scope, tensors: e.tensors, changed: e.changed, maxAbsDiff: e.max,
    relChange: e.aa > 0 ? finiteOrNull(Math.sqrt(e.dd / e.aa)) : e.dd === 0 ? 0 : null,
  }));
  const rank = (s: ScopeChange) => (s.relChange === null ? Infinity : s.relChange);
  return out.sort((x, y) => rank(y) - rank(x) || y.maxAbsDiff - x.maxAbsDiff || x.scope.localeCompare(y.scope));
}

/** Matches the two models' weights and compares every pair; `match` may be given when the caller already has it. */
export async function compareWeights(ma: Model, mb: Model, opts: CompareWeightsOptions = {}, match: TensorMatch = matchTensors(ma, mb)): Promise<WeightsComparison> {
  const bins = opts.bins ?? 64;
  const ra = new ChunkReader();
  const rb = new ChunkReader();
  const acc = new PairAccumulator();
  const tensors: TensorComparison[] = [];
  const totalBytes = match.pairs.reduce((s, p) => s + (p.a.data?.byteLength ?? 0) + (p.b.data?.byteLength ?? 0), 0) || 1;
  let dd = 0;
  let aa = 0;
  let compared = 0;
  for (const p of match.pairs) {
    opts.onProgress?.((ra.bytesRead + rb.bytesRead) / totalBytes, p.key);
    let c: TensorComparison;
    try {
      c = await comparePair(p, ra, rb, acc, bins, opts.signal);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      // One unreadable weight (a truncated external file) is reported on that weight; the rest still compare.
      const msg = e instanceof ModelError ? e.problem : (e instanceof Error ? e.message : String(e));
      c = { name: p.a.name, key: p.key, matchedBy: p.by, shape: p.a.shape, dtype: p.a.dtype, count: p.a.elementCount, relChange: null, cosine: null, maxAbsDiff: null, normA: null, normB: null, nonFinite: 0, problem: msg };
    }
    tensors.push(c);
    if (c.normA !== null && c.relChange !== null) {
      dd += (c.relChange * c.normA) ** 2;
      aa += c.normA ** 2;
      compared++;
    }
  }
  opts.onProgress?.(1, 'done');
  return {
    tensors,
    scopes: scopeChanges(tensors),
    unmatched: match.unmatched,
    mismatched: match.mismatched,
    relChange: !compared ? null : aa > 0 ? Math.sqrt(dd / aa) : dd === 0 ? 0 : null,
    bytes: ra.bytesRead + rb.bytesRead,
  };
}
