import type { NdArray } from '../formats/arrays/ndarray';
import { elementCount, numberAt } from '../formats/arrays/ndarray';
import type { OutputSummary, TopEntry } from '../protocol/run';
import { isFloatDType } from '../model/dtype';

export const FIRST_VALUES = 16;

/**
 * The JSON-safe summary of one output: statistics over finite values, the first few values, and top-k for
 * classifier-like outputs ([C], [N, C], [1, 1, C]: one row along the last axis), softmaxed when they look like logits.
 */
export function summarizeOutput(name: string, a: NdArray, topK: number, labels: string[] | undefined): OutputSummary {
  const n = Array.isArray(a.data) ? 0 : a.data.length;
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const v = numberAt(a, i);
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    count++;
    const d = v - mean; // Welford: stable for large outputs
    mean += d / count;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const first: number[] = [];
  for (let i = 0; i < Math.min(n, FIRST_VALUES); i++) first.push(numberAt(a, i));
  const summary: OutputSummary = {
    name,
    dtype: a.dtype,
    shape: a.shape,
    mean: count ? mean : NaN,
    std: count ? Math.sqrt(m2 / count) : NaN,
    min: count ? min : NaN,
    max: count ? max : NaN,
    nonFinite,
    first,
    top: [],
    softmax: false,
  };
  const classes = a.shape.length ? a.shape[a.shape.length - 1] : 0;
  const middle = elementCount(a.shape.slice(1, -1));
  if (topK > 0 && isFloatDType(a.dtype) && classes > 1 && middle === 1 && count > 0) {
    const row = Array.from({ length: classes }, (_, i) => numberAt(a, i));
    const { probs, softmax } = asProbabilities(row);
    summary.softmax = softmax;
    summary.top = topEntries(probs, topK, labels);
  }
  return summary;
}

/** Softmax of a whole row; non-finite logits get probability 0. */
export function softmax(row: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (Number.isFinite(row[i])) m = Math.max(m, row[i]);
  const e = Array.from(row, (v) => (Number.isFinite(v) ? Math.exp(v - m) : 0));
  const z = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / z);
}

/** Softmax unless the row already is a distribution (all in [0,1], sum ≈ 1). */
export function asProbabilities(row: number[]): { probs: number[]; softmax: boolean } {
  const sum = row.reduce((s, v) => s + v, 0);
  if (row.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3) return { probs: row, softmax: false };
  return { probs: softmax(row), softmax: true };
}

function topEntries(probs: number[], k: number, labels: string[] | undefined): TopEntry[] {
  const idx = probs.map((_, i) => i).sort((x, y) => probs[y] - probs[x]).slice(0, k);
  return idx.map((index) => ({ index, label: labels?.[index] ?? null, p: probs[index] }));
}

/** p50/p95 by nearest rank; also mean/min/max. */
export function latencyStats(ms: number[]): { p50: number; p95: number; mean: number; min: number; max: number } {
  if (!ms.length) return { p50: NaN, p95: NaN, mean: NaN, min: NaN, max: NaN };
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0], max: s[s.length - 1] };
}
