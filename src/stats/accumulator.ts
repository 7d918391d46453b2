/**
 * The one streaming pass over a tensor's values. Each element costs a handful of flops and one counter bump:
 * min/max, a shifted sum and sum of squares (exact two-pass-quality std without a second pass), zeros, and a
 * "fine" histogram indexed by the top 16 bits of the value's float32 pattern (sign, exponent, 7 mantissa bits),
 * which needs no range up front and yields percentiles, kurtosis and any display histogram afterwards.
 * NaN/Inf make the fast path's sums non-finite; only then is the segment redone element by element.
 */

export const FINE_BINS = 65536;

const f32s = new Float32Array(1);
const u32s = new Uint32Array(f32s.buffer);
// Kernel results: min, max, sum(v-K), sum((v-K)^2), zeros.
const R = new Float64Array(5);

function kernelF32(a: Float32Array, u: Uint32Array, from: number, to: number, K: number, hist: Int32Array, cols: Float64Array | undefined, col: number): number {
  let mn = Infinity, mx = -Infinity, s = 0, s2 = 0;
  // Zeros are not counted here: +0 and -0 land in fine bins 0 and 0x8000, so only a segment that touched those bins
  // (rare outside pruned weights) is recounted exactly below. That keeps the hot loop one compare shorter.
  const nearZero = hist[0] + hist[0x8000];
  if (cols) {
    // Callers split at row ends, so the column index never wraps inside this loop.
    for (let i = from; i < to; i++) {
      const v = a[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      const d = v - K;
      s += d;
      s2 += d * d;
      cols[col++] += v * v;
      hist[u[i] >>> 16]++;
    }
  } else {
    for (let i = from; i < to; i++) {
      const v = a[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      const d = v - K;
      s += d;
      s2 += d * d;
      hist[u[i] >>> 16]++;
    }
  }
  let z = 0;
  if (hist[0] + hist[0x8000] !== nearZero) for (let i = from; i < to; i++) if (a[i] === 0) z++;
  R[0] = mn; R[1] = mx; R[2] = s; R[3] = s2; R[4] = z;
  return col;
}

function kernelF64(a: Float64Array, from: number, to: number, K: number, hist: Int32Array, cols: Float64Array | undefined, col: number): number {
  let mn = Infinity, mx = -Infinity, s = 0, s2 = 0, z = 0;
  for (let i = from; i < to; i++) {
    const v = a[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
    const d = v - K;
    s += d;
    s2 += d * d;
    if (cols) cols[col++] += v * v;
    if (v === 0) z++;
    f32s[0] = v;
    hist[u32s[0] >>> 16]++;
  }
  R[0] = mn; R[1] = mx; R[2] = s; R[3] = s2; R[4] = z;
  return col;
}

/** Redo of a segment that held NaN/Inf: finite-only sums, and the non-finite elements taken back out of the fine histogram. */
function slowSegment(a: Float32Array | Float64Array, from: number, to: number, K: number, hist: Int32Array, acc: Accumulator): void {
  let mn = Infinity, mx = -Infinity, s = 0, s2 = 0, z = 0;
  for (let i = from; i < to; i++) {
    const v = a[i];
    if (v !== v || v === Infinity || v === -Infinity) {
      if (v !== v) acc.nan++;
      else acc.inf++;
      f32s[0] = v;
      hist[u32s[0] >>> 16]--;
      continue;
    }
    if (v < mn) mn = v;
    if (v > mx) mx = v;
    const d = v - K;
    s += d;
    s2 += d * d;
    if (v === 0) z++;
  }
  R[0] = mn; R[1] = mx; R[2] = s; R[3] = s2; R[4] = z;
}

/** min/max of a[from..to) into r[0], r[1] in the JS loop's order (`v < min`: the first of equal values stays). */
export function firstExtremes(a: Float32Array | Float64Array, from: number, to: number, r: Float64Array = R): void {
  let mn = Infinity, mx = -Infinity;
  for (let i = from; i < to; i++) {
    const v = a[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  r[0] = mn;
  r[1] = mx;
}

/**
 * A kernel that turns elements [from, to) of the tensor being added straight into segment results (r = [min, max,
 * sum(v-K), sum((v-K)^2), zeros], all elements finite, the fine histogram counted), or hands back their float32
 * values (with the bit view) when it cannot, for the usual loop.
 */
export type SegmentRun = (from: number, to: number, r: Float64Array) => [Float32Array, Uint32Array] | undefined;

export interface ChannelPlan {
  /** 'first': channels are contiguous rows of `inner` elements; 'last': channel = index % channels. */
  layout: 'first' | 'last';
  channels: number;
  inner: number;
}

/**
 * The float32 segment loop on WebAssembly SIMD (kernel-scan.ts), for values that sit in the kernel's memory: fills
 * r with [min, max, sum(v-K), sum((v-K)^2), zeros] as kernelF32 does and counts into its `hist`; false when `a` (or
 * `cols`) is elsewhere (the JS kernel then runs).
 */
export interface SegmentKernel {
  readonly hist: Int32Array;
  /** With `cols` (in the kernel's memory, see channelBuffer): also cols[col + i] += a[from + i]². */
  f32(a: Float32Array, from: number, to: number, K: number, r: Float64Array, cols?: Float64Array, col?: number): boolean;
  /** A zeroed buffer of n float64 in the kernel's memory for per-column sums, or undefined when n is too many. */
  channelBuffer(n: number): Float64Array | undefined;
}

export class Accumulator {
  /** The fine histogram: the kernel's when there is one (its memory), so both loops count into the same bins. */
  readonly hist: Int32Array;
  count = 0;
  /** Finite elements. */
  n = 0;
  min = Infinity;
  max = -Infinity;
  /** Shift: the first value seen, so that sums of (v - K) stay small and std keeps its precision. */
  K = NaN;
  sum = 0;
  sum2 = 0;
  zeros = 0;
  nan = 0;
  inf = 0;
  /** Sum of squares per output channel (when a plan is set). */
  channelSq: Float64Array | undefined;
  private plan: ChannelPlan | undefined;

  constructor(private readonly kernel?: SegmentKernel) {
    this.hist = kernel?.hist ?? new Int32Array(FINE_BINS);
  }

  get layout(): ChannelPlan['layout'] | undefined {
    return this.plan?.layout;
  }

  reset(plan?: ChannelPlan): void {
    this.hist.fill(0);
    this.count = this.n = this.sum = this.sum2 = this.zeros = this.nan = this.inf = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.K = NaN;
    this.plan = plan;
    // Column sums (channels last) in the kernel's memory, where its loop adds to them.
    this.channelSq = !plan ? undefined : (plan.layout === 'last' && this.kernel?.channelBuffer(plan.channels)) || new Float64Array(plan.channels);
  }

  /** Adds a[0..len) (float32 values with their bit view `u`, or float64 values). */
  add(a: Float32Array | Float64Array, u: Uint32Array | undefined, len: number): void {
    if (len <= 0) return;
    if (this.K !== this.K) {
      for (let i = 0; i < len; i++) if (Number.isFinite(a[i])) { this.K = a[i]; break; }
      if (this.K !== this.K) this.K = 0;
    }
    this.segments(len, (from, to, cols, col) => this.segment(a, u, from, to, cols, col));
  }

  /**
   * Adds len elements through a kernel that yields segment results directly (kernel-scan.ts's block kernels); the
   * caller has set K (setShift). run is called with at most maxPiece elements. Not for the 'last' channel layout,
   * whose column sums need the elements.
   */
  addSegments(len: number, run: SegmentRun, maxPiece = Infinity): void {
    if (len <= 0) return;
    if (this.plan?.layout === 'last') throw new Error('addSegments: column channel sums need the elements');
    this.segments(len, (from, to) => {
      // run sees at most maxPiece elements at a time; a row's sum of squares adds up over its pieces.
      let sq = 0;
      for (let a = from; a < to; a += maxPiece) {
        const b = Math.min(to, a + maxPiece);
        const values = run(a, b, R);
        if (values) this.segment(values[0], values[1], 0, b - a, undefined, 0);
        else this.fold(b - a);
        sq += this.lastSegmentSq;
      }
      this.lastSegmentSq = sq;
    });
  }

  /** Calls seg for consecutive pieces of the next len elements, split where a channel ends, and counts them in. */
  private segments(len: number, seg: (from: number, to: number, cols: Float64Array | undefined, col: number) => void): void {
    const plan = this.plan;
    if (plan?.layout === 'first') {
      // Split at row boundaries so each row's sum of squares falls out of the segment sums.
      let i = 0;
      while (i < len) {
        const pos = this.count + i;
        const row = Math.floor(pos / plan.inner);
        const end = Math.min(len, i + (plan.inner - (pos % plan.inner)));
        seg(i, end, undefined, 0);
        this.channelSq![row] += this.lastSegmentSq;
        i = end;
      }
    } else if (plan?.layout === 'last') {
      let i = 0;
      while (i < len) {
        const col = (this.count + i) % plan.channels;
        const end = Math.min(len, i + plan.channels - col);
        seg(i, end, this.channelSq, col);
        i = end;
      }
    } else {
      seg(0, len, undefined, 0);
    }
    this.count += len;
  }

  private lastSegmentSq = 0;

  /** Starts the tensor over (same channel plan): a kernel path that gave up hands it to another. */
  restart(): void {
    this.reset(this.plan);
  }

  /** Min, max and zeros of values counted outside the segments (kernel-scan.ts's code rows); all finite. */
  addExtremes(min: number, max: number, zeros: number): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
    this.zeros += zeros;
  }

  /** Sets the shift K when no value has set it yet (the first finite value of the first chunk, or 0). */
  setShift(k: number): void {
    if (this.K !== this.K) this.K = k;
  }

  /**
   * Folds in a 16-bit float tensor counted by pattern (cnt[h] elements had pattern h, whose float32 value is
   * values[h], bits valueBits[h]), as if each element had gone through `add`: counts, min/max, zeros, NaN/Inf and
   * the fine histogram come out identical; the sums are formed per pattern (c × (v−K)), so they differ from the
   * element-order sums only by rounding, and are closer to exact. `firstZero` is the first zero the tensor holds in
   * element order (+0 or −0): the element loop keeps the first of equal values as min/max. Channel sums of squares
   * are the caller's (it has the rows). The caller has set K (setShift).
   */
  addPatternCounts(cnt: Int32Array, values: Float32Array, valueBits: Uint32Array, firstZero: number): void {
    const K = this.K;
    const hist = this.hist;
    let mn = Infinity, mx = -Infinity, s = 0, s2 = 0, z = 0, n = 0, count = 0, nan = 0, inf = 0;
    for (let h = 0; h < 65536; h++) {
      const c = cnt[h];
      if (c === 0) continue;
      count += c;
      const v = values[h];
      if (v !== v) { nan += c; continue; }
      if (v === Infinity || v === -Infinity) { inf += c; continue; }
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      if (v === 0) z += c;
      const d = v - K;
      s += c * d;
      s2 += c * (d * d);
      n += c;
      hist[valueBits[h] >>> 16] += c;
    }
    if (mn === 0) mn = firstZero;
    if (mx === 0) mx = firstZero;
    if (mn < this.min) this.min = mn;
    if (mx > this.max) this.max = mx;
    this.sum += s;
    this.sum2 += s2;
    this.zeros += z;
    this.nan += nan;
    this.inf += inf;
    this.n += n;
    this.count += count;
  }

  private segment(a: Float32Array | Float64Array, u: Uint32Array | undefined, from: number, to: number, cols: Float64Array | undefined, col: number): number {
    const K = this.K;
    if (u && this.kernel?.f32(a as Float32Array, from, to, K, R, cols, col)) {
      // Lanes reorder equal values, which only matters for ±0: the JS loop keeps the first zero it meets as min/max.
      if (R[0] === 0 || R[1] === 0) firstExtremes(a, from, to);
    } else if (u) kernelF32(a as Float32Array, u, from, to, K, this.hist, cols, col);
    else kernelF64(a as Float64Array, from, to, K, this.hist, cols, col);
    let finite = to - from;
    if (!Number.isFinite(R[3]) || !Number.isFinite(R[2])) {
      const nan0 = this.nan, inf0 = this.inf;
      slowSegment(a, from, to, K, this.hist, this);
      finite -= this.nan - nan0 + this.inf - inf0;
    }
    return this.fold(finite);
  }

  /** Folds the segment results in R (of `finite` finite elements) into the totals. */
  private fold(finite: number): number {
    const K = this.K;
    if (R[0] < this.min) this.min = R[0];
    if (R[1] > this.max) this.max = R[1];
    this.sum += R[2];
    this.sum2 += R[3];
    this.zeros += R[4];
    this.n += finite;
    // sum v^2 = sum (d + K)^2 = sum d^2 + 2K sum d + n K^2
    this.lastSegmentSq = R[3] + 2 * K * R[2] + finite * K * K;
    return finite;
  }

  get mean(): number {
    return this.n ? this.K + this.sum / this.n : NaN;
  }

  /** Population variance from the shifted sums. */
  get variance(): number {
    if (!this.n) return NaN;
    const m = this.sum / this.n;
    return Math.max(0, this.sum2 / this.n - m * m);
  }

  /** Sum of squares of the finite values (L2 norm squared). */
  get sumSquares(): number {
    return this.sum2 + 2 * this.K * this.sum + this.n * this.K * this.K;
  }
}
