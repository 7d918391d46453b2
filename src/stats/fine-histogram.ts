import { FINE_BINS } from './accumulator';

/**
 * Reading the fine float-bit histogram: each bin b covers the float32 patterns b<<16 .. (b<<16)+0xffff, an interval
 * whose width is 2^-7 of its magnitude. Bins are turned into value-ordered intervals clamped to the tensor's
 * [min, max], which then give percentiles (to within a bin), kurtosis and display histograms of any range.
 */

/** Nonzero fine bins, kept per tensor so groups and the whole model can be merged later without a rescan. */
export interface SparseFine {
  bins: Uint16Array;
  counts: Float64Array;
}

export interface Interval {
  lo: number;
  hi: number;
  count: number;
}

const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);
const fromBits = (bits: number): number => {
  u[0] = bits >>> 0;
  return f[0];
};

const nonFinite = (b: number): boolean => (b & 0x7f80) === 0x7f80;

/** Scratch for toSparse's single pass (the nonzero bins are then copied out at their count). */
const scratchBins = new Uint16Array(FINE_BINS);
const scratchCounts = new Float64Array(FINE_BINS);

export function toSparse(hist: Int32Array | Float64Array): SparseFine {
  let k = 0;
  for (let b = 0; b < FINE_BINS; b++) {
    const c = hist[b];
    if (c !== 0) {
      scratchBins[k] = b;
      scratchCounts[k++] = c;
    }
  }
  return { bins: scratchBins.slice(0, k), counts: scratchCounts.slice(0, k) };
}

export function addSparse(into: Float64Array, s: SparseFine): void {
  for (let i = 0; i < s.bins.length; i++) into[s.bins[i]] += s.counts[i];
}

/** Value-ordered intervals of the finite bins, clamped to [min, max]. */
export function intervals(s: SparseFine, min: number, max: number): Interval[] {
  const neg: Interval[] = [];
  const pos: Interval[] = [];
  for (let i = 0; i < s.bins.length; i++) {
    const b = s.bins[i];
    if (nonFinite(b) || s.counts[i] <= 0) continue;
    let lo: number, hi: number;
    if ((b & 0x7fff) === 0) {
      // ±0 and float32's tiniest subnormals (|v| < 2^-133): zeros, as far as a percentile is concerned. Spread over
      // the bin, a median among a model's exact zeros would read 4.6e-41.
      lo = hi = 0;
    } else if (b & 0x8000) {
      const m = b & 0x7fff;
      lo = -fromBits((m + 1) << 16);
      hi = -fromBits(m << 16);
    } else {
      lo = fromBits(b << 16);
      hi = fromBits((b + 1) << 16);
    }
    lo = Math.max(lo, min);
    hi = Math.min(hi, max);
    if (hi < lo) hi = lo; // a float64 value outside float32's range lands in the edge bin
    (b & 0x8000 ? neg : pos).push({ lo, hi, count: s.counts[i] });
  }
  // Negative bins come in pattern order, which is the reverse of value order.
  neg.reverse();
  return neg.concat(pos);
}

/** Value at quantile p (0..1) by linear interpolation inside the bin that holds that rank. */
export function percentile(iv: Interval[], n: number, p: number): number {
  if (!iv.length || n <= 0) return NaN;
  const rank = p * (n - 1);
  let cum = 0;
  for (const x of iv) {
    if (cum + x.count > rank) return x.lo + (x.hi - x.lo) * ((rank - cum + 0.5) / x.count);
    cum += x.count;
  }
  return iv[iv.length - 1].hi;
}

/** Kurtosis m4 / m2^2 about `mean`, with each bin's mass at its midpoint. */
export function kurtosis(iv: Interval[], mean: number): number {
  let n = 0, m2 = 0, m4 = 0;
  for (const x of iv) {
    const d = (x.lo + x.hi) / 2 - mean;
    const d2 = d * d;
    n += x.count;
    m2 += x.count * d2;
    m4 += x.count * d2 * d2;
  }
  if (!n || m2 === 0) return NaN;
  m2 /= n;
  return m4 / n / (m2 * m2);
}

export function linearEdges(lo: number, hi: number, bins: number): number[] {
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = lo + ((hi - lo) * i) / bins;
  edges[bins] = hi;
  return edges;
}

/**
 * Display histogram from the fine bins: a fine interval inside one display bin adds its count there; one that
 * straddles edges is split in proportion to the overlap. Counts are then rounded by largest remainder so they
 * stay integers that add up to the total.
 */
export function rebin(iv: Interval[], edges: number[]): number[] {
  const bins = edges.length - 1;
  const lo = edges[0];
  const hi = edges[bins];
  const w = (hi - lo) / bins;
  const acc = new Float64Array(bins);
  const indexOf = (v: number): number => {
    if (!(w > 0)) return 0;
    let k = Math.floor((v - lo) / w);
    if (k < 0) k = 0;
    if (k >= bins) k = bins - 1;
    while (k > 0 && v < edges[k]) k--;
    while (k < bins - 1 && v >= edges[k + 1]) k++;
    return k;
  };
  for (const x of iv) {
    const a = indexOf(x.lo);
    const b = indexOf(x.hi);
    if (a === b || x.hi <= x.lo) {
      acc[a] += x.count;
      continue;
    }
    const width = x.hi - x.lo;
    for (let k = a; k <= b; k++) {
      const overlap = Math.min(x.hi, edges[k + 1]) - Math.max(x.lo, edges[k]);
      if (overlap > 0) acc[k] += (x.count * overlap) / width;
    }
  }
  const counts = Array.from(acc, Math.floor);
  let total = 0;
  for (const x of iv) total += x.count;
  let missing = total - counts.reduce((s, c) => s + c, 0);
  if (missing > 0) {
    const order = Array.from(acc.keys()).sort((i, j) => acc[j] - Math.floor(acc[j]) - (acc[i] - Math.floor(acc[i])));
    for (let i = 0; missing > 0 && i < order.length; i++, missing--) counts[order[i]]++;
  }
  return counts;
}
