import type { GgmlBlockType, Tensor } from '../model/tensor';
import type { Quantization } from '../model/tensor';
import { dequantizeGgml, GGML_BLOCKS } from '../formats/gguf/dequantize';
import { throwIfCancelled } from '../protocol/rpc';
import { decodeBytes, decodeHalfFloats, decodeValues, dequantize, storedBytes } from './decode';
import { storedDType } from './weight-context';

/** Chunk budget: big enough that per-chunk overhead vanishes, small enough to stay in cache-friendly scratch. */
export const CHUNK_ELEMENTS = 1 << 20;

/** Called once per chunk: float32 values with their bit view (fast path) or decoded float64 values. */
export type ChunkSink = (a: Float32Array | Float64Array, u: Uint32Array | undefined, len: number, first: number) => void;

/** Reused buffers for one scan at a time; a scan allocates nothing per element. */
export class ScanBuffers {
  readonly f64 = new Float64Array(CHUNK_ELEMENTS);
  readonly bytes = new Uint8Array(CHUNK_ELEMENTS * 8);
}

export interface ScanOptions {
  quantization?: Quantization;
  /** Skip dequantization: the stored integers. */
  raw?: boolean;
  signal?: AbortSignal;
  /** Called with bytes consumed, for progress. */
  onBytes?: (n: number) => void;
}

/** Why a tensor cannot be scanned, or undefined when it can. */
export function scanProblem(t: Tensor): string | undefined {
  if (t.problem) return t.problem;
  const d = storedDType(t);
  if (t.values && (t.values.length === 0 || typeof t.values[0] !== 'string')) return undefined;
  if (!storedBytes(d)) return `${d} values have no numeric statistics`;
  if (!t.data) return t.elementCount === 0 ? undefined : 'tensor bytes are not available';
  return undefined;
}

let lastYield = 0;
/** Lets a cancel message in between chunks even when the byte source answers synchronously (in-memory files). */
export async function maybeYield(signal: AbortSignal | undefined): Promise<void> {
  const now = performance.now();
  if (now - lastYield > 30) {
    lastYield = now;
    await new Promise<void>((r) => setImmediate(r));
  }
  throwIfCancelled(signal, 'weight statistics');
}

/** Streams a tensor's values through `sink` chunk by chunk (ByteSource reads of at most CHUNK_ELEMENTS elements). */
export async function scanTensor(t: Tensor, buf: ScanBuffers, sink: ChunkSink, opts: ScanOptions = {}): Promise<void> {
  if (t.quantization?.kind === 'ggml' && t.data) return scanGgml(t, t.quantization.type, buf, sink, opts);
  const q = opts.raw ? undefined : opts.quantization;
  const total = t.elementCount;
  if (t.values && !t.data) {
    const values = t.values as ArrayLike<number> | ArrayLike<bigint>;
    for (let first = 0; first < total; first += CHUNK_ELEMENTS) {
      await maybeYield(opts.signal);
      const len = Math.min(CHUNK_ELEMENTS, total - first);
      decodeValues(values, first, buf.f64, len);
      if (q) dequantize(q, buf.f64, len, first, t.shape);
      sink(buf.f64, undefined, len, first);
    }
    return;
  }
  const src = t.data;
  if (!src) return;
  const d = storedDType(t);
  const size = storedBytes(d)!;
  const fast = d === 'float32' && !q;
  // Half floats widen exactly to float32, so they take the float32 kernel too (in f64's memory, unused on this path).
  const half = (d === 'float16' || d === 'bfloat16') && !q;
  for (let first = 0; first < total; first += CHUNK_ELEMENTS) {
    await maybeYield(opts.signal);
    const len = Math.min(CHUNK_ELEMENTS, total - first);
    const offset = Math.floor(first * size);
    const nbytes = Math.ceil(len * size);
    const bytes = await src.read(offset, nbytes);
    opts.onBytes?.(nbytes);
    if (fast) {
      const b = bytes.byteOffset % 4 === 0 ? bytes : (buf.bytes.set(bytes), buf.bytes.subarray(0, nbytes));
      sink(new Float32Array(b.buffer, b.byteOffset, len), new Uint32Array(b.buffer, b.byteOffset, len), len, first);
    } else if (half) {
      const f32 = new Float32Array(buf.f64.buffer, 0, len);
      decodeHalfFloats(d, bytes, f32, len, buf.bytes);
      sink(f32, new Uint32Array(buf.f64.buffer, 0, len), len, first);
    } else {
      decodeBytes(d, bytes, buf.f64, len, buf.bytes);
      if (q) dequantize(q, buf.f64, len, first, t.shape);
      sink(buf.f64, undefined, len, first);
    }
  }
}

/** GGML block-quantized tensors (GGUF): whole blocks per chunk, dequantized to float32 for the fast path. */
async function scanGgml(t: Tensor, type: GgmlBlockType, buf: ScanBuffers, sink: ChunkSink, opts: ScanOptions): Promise<void> {
  const { elements, bytes: size } = GGML_BLOCKS[type];
  // The byte scratch is free on this path: its first half holds the chunk's values (CHUNK_ELEMENTS is a multiple of 256).
  const out = new Float32Array(buf.bytes.buffer, 0, CHUNK_ELEMENTS);
  const bits = new Uint32Array(buf.bytes.buffer, 0, CHUNK_ELEMENTS);
  for (let first = 0; first < t.elementCount; first += CHUNK_ELEMENTS) {
    await maybeYield(opts.signal);
    const len = Math.min(CHUNK_ELEMENTS, t.elementCount - first);
    const blocks = Math.ceil(len / elements);
    const bytes = await t.data!.read((first / elements) * size, blocks * size);
    opts.onBytes?.(blocks * size);
    dequantizeGgml(type, bytes, out, blocks);
    sink(out, bits, len, first);
  }
}
