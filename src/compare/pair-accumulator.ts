import { FINE_BINS } from '../stats/accumulator';
import { CHUNK_ELEMENTS } from '../stats/scan';
import { SimdDiff } from './weight-diff-simd';

// The difference statistics of one weight pair, chunk by chunk (compare-weights.ts streams the chunks): sums of a²,
// b², (a−b)², the largest |a−b|, and a fine histogram of a−b by its float32 bit pattern; float32 chunks on the
// WebAssembly SIMD kernel where it runs.

/**
 * The hot loops, as plain functions over typed arrays: sums in float64 (a float32 difference is exact there) kept in
 * `s` = [aa, bb, (unused), dd, max] — a·b is not summed, it follows as (aa + bb − dd) / 2 — each difference stored
 * in `diff` (float32) and counted in the fine histogram by its bit pattern (`bits` views `diff`). Returns false, committing
 * nothing, when the chunk holds NaN/Inf (or overflows): the caller redoes it with addCareful.
 */
function sums32(a: Float32Array, b: Float32Array, n: number, diff: Float32Array, bits: Uint32Array, fine: Int32Array, s: Float64Array): boolean {
  let aa = 0, bb = 0, dd = 0, max = s[4];
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const d = x - y;
    aa += x * x;
    bb += y * y;
    dd += d * d;
    // Math.abs, not `d < 0 ? -d : d`: a branch on the sign of random differences mispredicts half the time
    // (measured 9 ns an element instead of 2.7).
    const m = Math.abs(d);
    if (m > max) max = m;
    diff[i] = d;
    fine[bits[i] >>> 16]++; // the float32 pattern just stored: its top 16 bits are the fine bin
  }
  const all = aa + bb + dd;
  if (all - all !== 0) {
    // NaN or ±Inf (x − x is 0 only for finite x): take this chunk's counts back, the caller redoes it carefully.
    for (let i = 0; i < n; i++) fine[bits[i] >>> 16]--;
    return false;
  }
  s[0] += aa; s[1] += bb; s[3] += dd; s[4] = max;
  return true;
}

/** sums32 for float64 chunks: a copy on purpose, so each loop stays monomorphic (one typed-array kind) for V8. */
function sums64(a: Float64Array, b: Float64Array, n: number, diff: Float32Array, bits: Uint32Array, fine: Int32Array, s: Float64Array): boolean {
  let aa = 0, bb = 0, dd = 0, max = s[4];
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    const d = x - y;
    aa += x * x;
    bb += y * y;
    dd += d * d;
    // Math.abs, not `d < 0 ? -d : d`: a branch on the sign of random differences mispredicts half the time
    // (measured 9 ns an element instead of 2.7).
    const m = Math.abs(d);
    if (m > max) max = m;
    diff[i] = d;
    fine[bits[i] >>> 16]++; // the float32 pattern just stored: its top 16 bits are the fine bin
  }
  const all = aa + bb + dd;
  if (all - all !== 0) {
    // NaN or ±Inf (x − x is 0 only for finite x): take this chunk's counts back, the caller redoes it carefully.
    for (let i = 0; i < n; i++) fine[bits[i] >>> 16]--;
    return false;
  }
  s[0] += aa; s[1] += bb; s[3] += dd; s[4] = max;
  return true;
}

/** Fine histogram of the differences: one bin per top 16 bits of the float32 pattern. */
function countBits(bits: Uint32Array, fine: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) fine[bits[i] >>> 16]++;
}

// Small calls of each before any real use: every path (the code after the loops included) then has type feedback
// when V8 optimizes, else the loop's on-stack-replacement code deoptimizes at the loop's end on every call (measured:
// 30 ns an element instead of ~2).
// Feedback vectors are allocated lazily, after a few calls, hence the repeats.
for (let k = 0; k < 64; k++) {
  const t = new Float32Array(16);
  const d = new Float64Array(16);
  const s = new Float64Array(5);
  const u = new Uint32Array(t.buffer);
  const f = new Int32Array(65536);
  sums32(t, t, 16, t, u, f, s);
  sums64(d, d, 16, t, u, f, s);
  countBits(new Uint32Array(16), new Int32Array(1), 16);
}

/** Running sums for one pair. */
export class PairAccumulator {
  /** [aa, bb, unused, dd, max]. */
  readonly s = new Float64Array(5);
  nonFinite = 0;
  /** The SIMD kernel for float32 pairs, where WebAssembly SIMD runs; the fine histogram then lives in its memory. */
  private readonly simd = SimdDiff.create();
  readonly fine = this.simd?.fine ?? new Int32Array(FINE_BINS);
  private readonly diff = new Float32Array(CHUNK_ELEMENTS);
  private readonly diffBits = new Uint32Array(this.diff.buffer);
  private readonly tail = new Float64Array(5);

  get aa(): number { return this.s[0]; }
  get bb(): number { return this.s[1]; }
  /** a·b from the other sums: ‖a−b‖² = ‖a‖² + ‖b‖² − 2a·b. */
  get ab(): number { return (this.s[0] + this.s[1] - this.s[3]) / 2; }
  get dd(): number { return this.s[3]; }
  get max(): number { return this.s[4]; }

  reset(): void {
    this.s.fill(0);
    this.nonFinite = 0;
    this.fine.fill(0);
  }

  /**
   * Buffers to read slot k's float32 chunks into ([A, B] bytes, CHUNK_ELEMENTS elements each), so the SIMD kernel
   * sums them without a copy; undefined without the kernel. The caller alternates two slots (read one, sum the other).
   */
  slot(k: 0 | 1): [Uint8Array, Uint8Array] | undefined {
    return this.simd?.slots[k];
  }

  add32(a: Float32Array, b: Float32Array, n: number): boolean {
    if (!this.simd) return sums32(a, b, n, this.diff, this.diffBits, this.fine, this.s);
    const r = this.simd.run(a, b, n);
    const all = r.aa + r.bb + r.dd + r.max;
    this.tail.fill(0);
    const tailOk = r.n4 === n || sums32(a.subarray(r.n4), b.subarray(r.n4), n - r.n4, this.diff, this.diffBits, this.fine, this.tail);
    if (all - all !== 0 || !tailOk) {
      // Take the kernel's counts back (the same float32 differences), then the caller redoes the chunk carefully.
      const diff = this.diff;
      for (let i = 0; i < r.n4; i++) diff[i] = a[i] - b[i];
      const bits = this.diffBits;
      for (let i = 0; i < r.n4; i++) this.fine[bits[i] >>> 16]--;
      if (tailOk && r.n4 !== n) {
        for (let i = r.n4; i < n; i++) diff[i - r.n4] = a[i] - b[i];
        for (let i = 0; i < n - r.n4; i++) this.fine[bits[i] >>> 16]--;
      }
      return false;
    }
    const s = this.s;
    s[0] += r.aa + this.tail[0];
    s[1] += r.bb + this.tail[1];
    s[3] += r.dd + this.tail[3];
    s[4] = Math.max(s[4], r.max, this.tail[4]);
    return true;
  }

  add64(a: Float64Array, b: Float64Array, n: number): boolean {
    return sums64(a, b, n, this.diff, this.diffBits, this.fine, this.s);
  }

  /** Slow path for chunks holding NaN/Inf: such element pairs are counted and left out. */
  addCareful(a: ArrayLike<number>, b: ArrayLike<number>, n: number): void {
    const s = this.s;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        this.nonFinite++;
        continue;
      }
      const d = x - y;
      s[0] += x * x;
      s[1] += y * y;
      s[3] += d * d;
      if (Math.abs(d) > s[4]) s[4] = Math.abs(d);
      this.diff[k++] = d;
    }
    countBits(this.diffBits, this.fine, k);
  }
}
