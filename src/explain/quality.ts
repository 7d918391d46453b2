import type { InputLayout } from './layout';
import { putUnit, writeMixedFill } from './layout';
import type { Scorer } from './scoring';

// Numbers that say how much to trust a map. Deletion/insertion AUC (Petsiuk et al., RISE): remove (or insert) units
// in order of decreasing attribution in DELETION_STEPS equal steps and track the target score; a faithful map makes
// the score fall fast (low deletion AUC) and rise fast (high insertion AUC). Removed units take the value 0 ("black");
// insertion starts from all-0 and puts the units back. The curve has DELETION_STEPS + 1 points, x in 0..1, trapezoid
// rule. Scores are what `Scorer` returns (the target's softmax probability for multi-class outputs).

export const DELETION_STEPS = 16;

export function auc(ys: number[]): number {
  let s = 0;
  for (let i = 1; i < ys.length; i++) s += (ys[i - 1] + ys[i]) / 2;
  return s / (ys.length - 1);
}

/**
 * Unit indices by decreasing attribution, ties (and NaN, ranked last) in index order. Each value's float32 bits
 * become an order-preserving 32-bit key, sorted by a stable radix sort, one byte a pass (a comparator sort of 4,096
 * units cost about as much as 20 forward passes here; a numeric sort of packed keys 3 times what this costs).
 */
export function rankUnits(map: Float32Array): Uint32Array {
  const n = map.length;
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let keys = new Uint32Array(n);
  let order = new Uint32Array(n);
  let keysNext = new Uint32Array(n);
  let orderNext = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    f[0] = Number.isNaN(map[i]) ? -Infinity : map[i] === 0 ? 0 : map[i]; // -0 ties with 0, as in a comparator
    const b = u[0];
    const ascending = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0; // larger value → larger key
    keys[i] = ~ascending >>> 0; // larger value → smaller key
    order[i] = i;
  }
  const start = new Uint32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    start.fill(0);
    for (let i = 0; i < n; i++) start[(keys[i] >>> shift) & 255]++;
    for (let d = 0, sum = 0; d < 256; d++) {
      const c = start[d];
      start[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = start[(keys[i] >>> shift) & 255]++;
      keysNext[at] = keys[i];
      orderNext[at] = order[i];
    }
    [keys, keysNext] = [keysNext, keys];
    [order, orderNext] = [orderNext, order];
  }
  return order;
}

export async function deletionInsertion(score: Scorer, x: Float32Array, map: Float32Array, lay: InputLayout, steps = DELETION_STEPS): Promise<{ deletionAuc: number; insertionAuc: number }> {
  const order = rankUnits(map);
  const mask = new Float32Array(lay.units);
  // Sample k ≤ steps: deletion step k (the top n(k) units set to 0); sample steps + 1 + k: insertion step k. Samples
  // come in order (the scorers write them so): each is the previous sample (still in its slot) with the new step's
  // units changed; out of order, it is written whole.
  let done = 0;
  let last = -1;
  let prev: Float32Array | undefined;
  const scores = await score(2 * (steps + 1), (k, dst) => {
    const insert = k > steps;
    const whole = k === 0 || k === steps + 1 || k !== last + 1 || !prev;
    if (whole) {
      mask.fill(insert ? 0 : 1);
      done = 0;
    }
    const n = Math.round(((insert ? k - steps - 1 : k) / steps) * order.length);
    if (whole) {
      for (; done < n; done++) mask[order[done]] = insert ? 1 : 0;
      writeMixedFill(dst, x, 0, mask, lay);
    } else {
      if (prev !== dst) dst.set(prev!);
      // The same values as mixing with the mask: 0 + (x − 0)·1 = x, 0 + (x − 0)·0 = 0.
      for (; done < n; done++) putUnit(dst, x, lay, order[done], insert ? undefined : 0);
    }
    last = k;
    prev = dst;
  });
  return { deletionAuc: auc(Array.from(scores.subarray(0, steps + 1))), insertionAuc: auc(Array.from(scores.subarray(steps + 1))) };
}

/** IG completeness residual: |Σ attr − (f(x) − f(b))| / |f(x) − f(b)| (f = raw target output). */
export function completeness(attr: Float32Array, fx: number, fb: number): number {
  let s = 0;
  for (const v of attr) s += v;
  const d = fx - fb;
  return Math.abs(s - d) / Math.max(Math.abs(d), 1e-12);
}

function ranks(v: Float32Array): Float64Array {
  const idx = Array.from(v.keys()).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2; // ties share their mean rank
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation (Pearson on ranks, ties averaged); 0 when either side is constant. */
export function spearman(a: Float32Array, b: Float32Array): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i] - ma) * (rb[i] - mb);
    da += (ra[i] - ma) ** 2;
    db += (rb[i] - mb) ** 2;
  }
  return da && db ? num / Math.sqrt(da * db) : 0;
}
