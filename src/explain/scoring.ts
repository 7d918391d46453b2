import * as tf from '@tensorflow/tfjs';
import type { NdArray } from '../formats/arrays/ndarray';
import { numberAt } from '../formats/arrays/ndarray';
import type { RuntimeSession } from '../runtime/session';
import { tensorRun } from '../runtime/session';
import type { GradModel } from './grad-model';

// Forward passes for the perturbation methods and the quality numbers. Inputs are never materialised as arrays of
// samples: the caller writes each sample straight into one reused batch buffer, which goes through the batch
// dimension (when the model has a dynamic one) in batches of `batchSizeFor` samples. That keeps our per-pass cost
// (allocation, copies, mask building) small next to the model's own forward work.

/** Writes input sample `k` into `dst` (a view of the reused batch buffer, one sample long). */
export type WriteSample = (k: number, dst: Float32Array) => void;
/**
 * The first output's row (flattened per sample) for each of `n` samples; `onRow` must copy what it keeps. `buffer`:
 * a batch buffer (at least batch × sample long) the writer wants its samples in, e.g. in a kernel's memory; a
 * forward that cannot use it ignores it.
 */
export type Forward = (n: number, write: WriteSample, onRow: (k: number, row: Float32Array) => void, buffer?: Float32Array) => Promise<void>;
/** One target score per sample. */
export type Scorer = (n: number, write: WriteSample) => Promise<Float32Array>;
/** Target scores handed over batch by batch, in order, as they come (same ordering guarantee as `Forward`). */
export type StreamScorer = (n: number, write: WriteSample, onScore: (k: number, score: number) => void, buffer?: Float32Array) => Promise<void>;

/** Up to 64 samples and about 16 MB of input per batch: big enough to amortise a call, small enough for any model. */
export function batchSizeFor(sampleLength: number, batchable: boolean): number {
  return batchable ? Math.max(1, Math.min(64, Math.floor((4 << 20) / Math.max(1, sampleLength)))) : 1;
}

export function toFloat32(a: NdArray): Float32Array {
  return a.data instanceof Float32Array ? a.data : Float32Array.from({ length: a.data.length }, (_, i) => numberAt(a, i));
}

/**
 * Batch buffers kept between calls (fresh ones every call cost collections inside the work), at most 32 MiB of them so
 * an idle engine does not sit on more.
 */
const spareBuffers: Float32Array[] = [];
const SPARE_BYTES = 32 << 20;
function takeBuffer(length: number): Float32Array {
  const i = spareBuffers.findIndex((b) => b.length === length);
  return i >= 0 ? spareBuffers.splice(i, 1)[0] : new Float32Array(length);
}
function giveBuffer(b: Float32Array): void {
  spareBuffers.push(b);
  while (spareBuffers.reduce((a, x) => a + x.byteLength, 0) > SPARE_BYTES) spareBuffers.shift();
}

/**
 * Forward passes through a runtime session (ORT or TF.js), other inputs held at their fed values, one batch at a time:
 * write the batch, run it, hand its rows over, then write the next batch into the same buffer. None of our runtimes
 * computes off the JS thread (onnxruntime-node's run is a synchronous call, GPU providers included; tfjs predicts
 * synchronously), so a second buffer would overlap nothing, and samples written into the buffer the model has just
 * read are cheaper to write (its lines are still in cache; measured: 2.0 ms instead of 3.1 per 512 RISE samples), and
 * the model reads them hot. Order guarantee for callers that keep per-sample state in a ring: `write` of sample
 * k + batch only happens after `onRow` of sample k. Each call borrows its buffer and gives it back.
 */
export function sessionForward(session: RuntimeSession, feeds: Map<string, NdArray>, name: string, shape: number[], batch: number, path = 'model', signal?: AbortSignal): Forward {
  // An inference server's batch limit caps ours: progress and time left then count the requests really sent.
  batch = Math.max(1, Math.min(batch, session.maxBatch ?? batch));
  const len = shape.reduce((a, b) => a * b, 1);
  const outName = session.outputs[0].name;
  const run = tensorRun(session, path);
  return async (n, write, onRow, buffer) => {
    if (buffer && buffer.length >= batch * len) return forwardWith(buffer, n, write, onRow);
    const buf = takeBuffer(batch * len);
    try {
      await forwardWith(buf, n, write, onRow);
    } finally {
      giveBuffer(buf);
    }
  };
  async function forwardWith(buf: Float32Array, n: number, write: Parameters<Forward>[1], onRow: Parameters<Forward>[2]): Promise<void> {
    // One view per slot for the whole call, not one per sample.
    const slots = Array.from({ length: Math.min(batch, n) }, (_, k) => buf.subarray(k * len, (k + 1) * len));
    for (let i = 0; i < n; i += batch) {
      const count = Math.min(batch, n - i);
      for (let k = 0; k < count; k++) write(i + k, slots[k]);
      const f = new Map(feeds);
      f.set(name, { dtype: 'float32', shape: [count, ...shape.slice(1)], data: buf.length === count * len ? buf : buf.subarray(0, count * len) });
      const r = await run(f, { signal });
      const flat = toFloat32(r.get(outName) ?? [...r.values()][0]);
      const per = flat.length / count;
      for (let k = 0; k < count; k++) onRow(i + k, flat.subarray(k * per, (k + 1) * per));
    }
  }
}

/** Forward passes through a GradModel (the sanity check re-scores perturbation maps on the randomized model). */
export function gradForward(gm: GradModel, shape: number[], batch: number): Forward {
  const len = shape.reduce((a, b) => a * b, 1);
  const buf = new Float32Array(batch * len);
  return async (n, write, onRow) => {
    for (let i = 0; i < n; i += batch) {
      const count = Math.min(batch, n - i);
      for (let k = 0; k < count; k++) write(i + k, buf.subarray(k * len, (k + 1) * len));
      const y = tf.tidy(() => gm.forward(tf.tensor(buf.subarray(0, count * len), [count, ...shape.slice(1)])).y.reshape([count, -1]));
      const flat = y.dataSync() as Float32Array;
      y.dispose();
      const per = flat.length / count;
      for (let k = 0; k < count; k++) onRow(i + k, flat.subarray(k * per, (k + 1) * per));
    }
  };
}

export function softmaxAt(row: ArrayLike<number>, k: number): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - m);
  return Math.exp(row[k] - m) / s;
}

/**
 * The two scores of a target: `raw` is the output value itself (a logit for classifiers without a final softmax;
 * perturbation maps use it because it does not saturate on confident models), `prob` its softmax probability when
 * the output is not already probabilities (deletion/insertion AUCs, which need 0..1).
 */
export class Scoring {
  constructor(private readonly forward: Forward, readonly target: number, readonly useSoftmax: boolean) {}
  raw: Scorer = (n, write) => this.score(n, write, false);
  rawStream: StreamScorer = (n, write, onScore, buffer) => this.forward(n, write, (k, row) => onScore(k, row[this.target]), buffer);
  prob: Scorer = (n, write) => this.score(n, write, this.useSoftmax);

  private async score(n: number, write: WriteSample, softmax: boolean): Promise<Float32Array> {
    const out = new Float32Array(n);
    await this.forward(n, write, (k, row) => {
      out[k] = softmax ? softmaxAt(row, this.target) : row[this.target];
    });
    return out;
  }
}

/** Scores whole arrays (a handful of them: the input itself, a baseline). */
export function scoreArrays(score: Scorer, xs: Float32Array[]): Promise<Float32Array> {
  return score(xs.length, (k, dst) => dst.set(xs[k]));
}

/** Multi-class outputs that are not already probabilities are scored by softmax; the rest by their raw value. */
export function isProbabilities(row: Float32Array): boolean {
  let s = 0;
  for (const v of row) {
    if (v < 0 || v > 1) return false;
    s += v;
  }
  return Math.abs(s - 1) < 1e-3;
}
