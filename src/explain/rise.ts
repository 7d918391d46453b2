import type { InputLayout } from './layout';
import { writeMixedFill } from './layout';
import type { StreamScorer } from './scoring';
import { Mulberry32 } from '../runtime/synthesize';
import { RiseMixer } from './kernels/rise-mix';

// RISE, a perturbation method (occlusion.ts is the other): random smooth masks, scored by forward passes only, so it
// works on any model and runtime. Per mask, a sampler draws the mask, writes the masked input into the scorer's batch
// buffer and, once the score is back, adds the score-weighted mask field to its shift's sums. Two samplers do this:
// the WebAssembly kernel (kernels/rise-mix.ts) for channel-plane images, and the plain one below for everything else;
// a test holds them to the same maps.

/**
 * RISE masks (Petsiuk et al. 2018): a grid × grid field of random keep (1, probability p) / drop (0) cells, upsampled
 * bilinearly to cells of ⌈H/grid⌉ × ⌈W/grid⌉ pixels and shifted by a random whole number of pixels within a cell, as
 * the paper's code does. The field has grid + 2 points per side so every shifted pixel interpolates between real
 * points. For a given shift the mask is linear in its field, which lets `rise` sum the fields per shift and upsample
 * each sum once at the end instead of adding every full-size mask into the map.
 */
export class RiseMasks {
  readonly fieldSize: number;
  readonly G: number;
  /** Whole-pixel shifts per axis (the cell's height and width); shift index = sy · shiftsX + sx. */
  readonly shiftsY: number;
  readonly shiftsX: number;
  readonly shifts: number;
  /** Per shift: source row/column and interpolation weight of every pixel row (y) and column (x). */
  private readonly iy: Int32Array;
  private readonly ty: Float64Array;
  private readonly ix: Int32Array;
  private readonly tx: Float64Array;
  /** Each field row interpolated along x. */
  private readonly rowsX: Float64Array;
  constructor(readonly random: Mulberry32, grid: number, readonly p: number, readonly H: number, readonly W: number) {
    const G = (this.G = grid + 2);
    this.fieldSize = G * G;
    this.shiftsY = Math.ceil(H / grid);
    this.shiftsX = Math.ceil(W / grid);
    this.shifts = this.shiftsY * this.shiftsX;
    this.iy = new Int32Array(this.shiftsY * H);
    this.ty = new Float64Array(this.shiftsY * H);
    this.ix = new Int32Array(this.shiftsX * W);
    this.tx = new Float64Array(this.shiftsX * W);
    const table = (n: number, cell: number, idx: Int32Array, t: Float64Array) => {
      for (let s = 0; s < cell; s++) {
        for (let i = 0; i < n; i++) {
          const f = (i + s) / cell;
          idx[s * n + i] = Math.floor(f);
          t[s * n + i] = f - Math.floor(f);
        }
      }
    };
    table(H, this.shiftsY, this.iy, this.ty);
    table(W, this.shiftsX, this.ix, this.tx);
    this.rowsX = new Float64Array(G * W);
  }

  /** Draws one mask: its keep/drop field into `field` (fieldSize values); returns its shift's index. */
  draw(field: Float32Array): number {
    const r = this.random;
    for (let i = 0; i < this.fieldSize; i++) field[i] = r.next() < this.p ? 1 : 0;
    const sy = Math.min(this.shiftsY - 1, Math.floor(r.next() * this.shiftsY));
    const sx = Math.min(this.shiftsX - 1, Math.floor(r.next() * this.shiftsX));
    return sy * this.shiftsX + sx;
  }

  /** Pixel row y of masks with vertical shift `sy` interpolates field rows rowOf[y] and rowOf[y] + 1 by weight[y]. */
  rowTable(sy: number): { rowOf: Int32Array; weight: Float64Array } {
    return { rowOf: this.iy.subarray(sy * this.H, (sy + 1) * this.H), weight: this.ty.subarray(sy * this.H, (sy + 1) * this.H) };
  }

  verticalShift(shift: number): number {
    return Math.floor(shift / this.shiftsX);
  }

  /** Column x of masks with horizontal shift `sx` interpolates field columns colOf[x] and colOf[x] + 1 by weight[x]. */
  columnTable(sx: number): { colOf: Int32Array; weight: Float64Array } {
    return { colOf: this.ix.subarray(sx * this.W, (sx + 1) * this.W), weight: this.tx.subarray(sx * this.W, (sx + 1) * this.W) };
  }

  /** How many field rows the masks of vertical shift `sy` read. */
  rowsUsed(sy: number): number {
    return Math.min(this.G, this.iy[sy * this.H + this.H - 1] + 2);
  }

  /** Horizontal pass: each field row the masks of `shift` use, interpolated along x into `rows` (or added to it). */
  interpolateRows(field: ArrayLike<number>, shift: number, rows: Float64Array, add = false): void {
    const { G, W, ix, tx } = this;
    const ox = (shift % this.shiftsX) * W;
    const rowsUsed = this.rowsUsed(this.verticalShift(shift));
    for (let r = 0; r < rowsUsed; r++) {
      const f0 = r * G;
      for (let x = 0; x < W; x++) {
        const c = f0 + ix[ox + x];
        const v = field[c] + tx[ox + x] * (field[c + 1] - field[c]);
        if (add) rows[r * W + x] += v;
        else rows[r * W + x] = v;
      }
    }
  }

  /** The H·W mask of `field` at `shift` written into `out` (or added to it). */
  render(field: ArrayLike<number>, shift: number, out: Float32Array | Float64Array, add = false): void {
    this.interpolateRows(field, shift, this.rowsX);
    this.interpolateColumns(this.rowsX, this.verticalShift(shift), out, add);
  }

  /** Vertical pass: rows made by `interpolateRows` (or sums of them) → H·W values for vertical shift `sy`. */
  interpolateColumns(rows: Float64Array, sy: number, out: Float32Array | Float64Array, add = false): void {
    const { H, W } = this;
    const { rowOf, weight } = this.rowTable(sy);
    for (let y = 0; y < H; y++) {
      const t0 = rowOf[y] * W;
      const t1 = t0 + W;
      const b = weight[y];
      const o = y * W;
      if (add) for (let x = 0; x < W; x++) out[o + x] += rows[t0 + x] + b * (rows[t1 + x] - rows[t0 + x]);
      else for (let x = 0; x < W; x++) out[o + x] = rows[t0 + x] + b * (rows[t1 + x] - rows[t0 + x]);
    }
  }

  /**
   * Σ over shifts of each shift's field (`sums`: shifts × fieldSize, shifts with `used` 0 skipped) upsampled to H·W.
   * Both passes are linear, so the horizontal passes of all shifts sharing a vertical shift are summed before one
   * vertical pass. (RiseMixer.upsampleSum does the same in the kernel.)
   */
  upsampleSum(sums: Float64Array, used: Uint8Array): Float64Array {
    const F = this.fieldSize;
    const acc = new Float64Array(this.H * this.W);
    const rowSum = new Float64Array(this.G * this.W);
    for (let sy = 0; sy < this.shiftsY; sy++) {
      rowSum.fill(0);
      let any = false;
      for (let sh = sy * this.shiftsX; sh < (sy + 1) * this.shiftsX; sh++) {
        if (!used[sh]) continue;
        any = true;
        this.interpolateRows(sums.subarray(sh * F, (sh + 1) * F), sh, rowSum, true);
      }
      if (any) this.interpolateColumns(rowSum, sy, acc, true);
    }
    return acc;
  }
}

/** What `rise` needs of a sampler; RiseMixer (the kernel) and JsRiseSampler both provide it. */
export interface RiseSampler {
  /** Draws the next mask, keeps its field in ring slot `slot`, writes x masked by it into `dst`. */
  sample(dst: Float32Array, slot: number): void;
  /** The score of the mask in ring slot `slot`, relative to a reference that `finish` gets back in `mean`. */
  accumulate(slot: number, score: number): void;
  /** Σ over masks of (score − mean)·mask, H·W values. */
  finish(mean: number): Float32Array | Float64Array;
  /** A buffer the samples can be written into without a copy, if the sampler has one. */
  batchBuffer?(length: number): Float32Array;
  release(): void;
}

/** The sampler in plain loops, for layouts the kernel does not take (interleaved channels, odd widths, non-images). */
export class JsRiseSampler implements RiseSampler {
  private readonly ring: Float32Array;
  private readonly ringShift: Int32Array;
  private readonly mask: Float32Array;
  /** Per shift: Σ s_i·field_i and Σ field_i over the masks drawn with that shift, and whether any was. */
  private readonly weighted: Float64Array;
  private readonly counted: Float64Array;
  private readonly used: Uint8Array;

  constructor(private readonly masks: RiseMasks, private readonly x: Float32Array, private readonly fill: number, private readonly lay: InputLayout, slots: number) {
    this.ring = new Float32Array(slots * masks.fieldSize);
    this.ringShift = new Int32Array(slots);
    this.mask = new Float32Array(masks.H * masks.W);
    this.weighted = new Float64Array(masks.shifts * masks.fieldSize);
    this.counted = new Float64Array(masks.shifts * masks.fieldSize);
    this.used = new Uint8Array(masks.shifts);
  }

  sample(dst: Float32Array, slot: number): void {
    const F = this.masks.fieldSize;
    const field = this.ring.subarray(slot * F, (slot + 1) * F);
    const shift = (this.ringShift[slot] = this.masks.draw(field));
    this.masks.render(field, shift, this.mask);
    writeMixedFill(dst, this.x, this.fill, this.mask, this.lay);
  }

  accumulate(slot: number, score: number): void {
    const F = this.masks.fieldSize;
    const shift = this.ringShift[slot];
    this.used[shift] = 1;
    const off = slot * F;
    const at = shift * F;
    for (let j = 0; j < F; j++) {
      const m = this.ring[off + j];
      this.weighted[at + j] += score * m;
      this.counted[at + j] += m;
    }
  }

  finish(mean: number): Float64Array {
    const sums = new Float64Array(this.weighted.length);
    for (let i = 0; i < sums.length; i++) sums[i] = this.weighted[i] - mean * this.counted[i];
    return this.masks.upsampleSum(sums, this.used);
  }

  release(): void {}
}

/**
 * RISE: saliency(u) = Σ_i (s_i − s̄) · M_i(u) / (N · p) over N random smooth masks M_i that keep (1) or hide (set to
 * `fill`, 0) pixels, s_i the score of x ⊙ M_i and s̄ the mean score. The mean is subtracted because Σ s̄·M_i/(N·p) is
 * the same for every pixel (up to sampling noise): it says nothing about where the evidence is, yet on a confident
 * model it is most of the plain sum and flattens the map. So the map is the score's gain when u is kept, ≥ 0 where
 * keeping u helps. Per mask only its small field is kept (in a ring of `batch` slots: the scorer hands a score back
 * before it writes the sample a batch later) and the score-weighted fields are summed per shift; the full-size sums
 * are made once per shift at the end. Nothing is allocated per mask. `kernel: false` forces the plain sampler.
 */
export async function rise(score: StreamScorer, x: Float32Array, lay: InputLayout, o: { masks: number; grid: number; keep: number; fill: number; seed: number; batch: number; onProgress?: (f: number) => void; signal?: AbortSignal; kernel?: boolean }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const gen = new RiseMasks(new Mulberry32(o.seed), Math.min(o.grid, Math.max(H, W)), o.keep, H, W);
  const fill = Math.fround(o.fill);
  const slots = o.batch;
  let sampler: RiseSampler = (o.kernel !== false && RiseMixer.take(gen, x, fill, lay, slots)) || new JsRiseSampler(gen, x, fill, lay, slots);
  let buffer: Float32Array | undefined;
  try {
    buffer = sampler.batchBuffer?.(o.batch * x.length);
  } catch {
    // The kernel's memory could not grow that far (a huge input): the plain sampler writes into the scorer's buffer.
    sampler.release();
    sampler = new JsRiseSampler(gen, x, fill, lay, slots);
  }
  let total = 0;
  // Scores go in relative to the first one: the kernel sums in float32, where a large common part would cancel.
  let ref: number | undefined;
  try {
    await score(o.masks, (k, dst) => {
      o.signal?.throwIfAborted();
      sampler.sample(dst, k % slots);
    }, (k, s) => {
      total += s;
      ref ??= s;
      sampler.accumulate(k % slots, s - ref);
      if (k % o.batch === o.batch - 1) o.onProgress?.((k + 1) / o.masks);
    }, buffer);
    // Σ_i (s_i − s̄)·M_i = Σ_shift upsample(Σ (s_i − ref)·field_i − (s̄ − ref)·Σ field_i), upsampling being linear.
    const acc = sampler.finish(total / o.masks - (ref ?? 0));
    const out = new Float32Array(lay.units);
    for (let u = 0; u < out.length; u++) out[u] = acc[u] / (o.masks * o.keep);
    return out;
  } finally {
    sampler.release();
  }
}
