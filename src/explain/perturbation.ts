import type { InputLayout } from './layout';
import { writeMixed, writeMixedFill, writeWindow } from './layout';
import type { Scorer, StreamScorer } from './scoring';
import { Mulberry32 } from '../runtime/synthesize';
import { RiseMixer } from './kernels/rise-mix';

// Perturbation methods: they only need forward passes, so they work on any model and runtime. Every perturbed input
// is written straight into the scorer's reused batch buffer (see scoring.ts); masks live in buffers allocated once.

/** Occlusion windows' top-left corners: every `stride`, plus one flush with the far edge so the edge is covered. */
function starts(size: number, win: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + win <= size; p += stride) out.push(p);
  if (out[out.length - 1] + win < size) out.push(size - win);
  return out;
}

/**
 * Occlusion: slide a window × window patch (stride `stride`) of value `fill` over the image (or over the elements of a
 * non-image), record score(x) − score(occluded), and give every unit the mean drop of the windows covering it.
 * Signed: a negative value means hiding the unit raised the score.
 */
export async function occlusion(score: Scorer, x: Float32Array, lay: InputLayout, o: { window: number; stride: number; fill: number; signal?: AbortSignal }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const win = Math.min(o.window, H === 1 ? W : Math.min(H, W));
  const wy = H === 1 ? 1 : win;
  const positions: [number, number][] = [];
  for (const y of starts(H, wy, H === 1 ? 1 : o.stride)) for (const c of starts(W, win, o.stride)) positions.push([y, c]);
  const fill = new Float32Array(x.length).fill(o.fill);
  const mask = new Float32Array(lay.units).fill(1);
  const setWindow = ([y0, x0]: [number, number], v: number) => {
    for (let y = y0; y < y0 + wy; y++) mask.fill(v, y * W + x0, y * W + x0 + win);
  };
  const f = fill[0];
  // A window touches a few dozen units: copy x and write only those (same values as mixing with a 0/1 mask, which
  // needs x and fill finite); otherwise the general mix.
  const fast = Number.isFinite(f) && x.every(Number.isFinite);
  const [base] = await score(1, (_, dst) => dst.set(x));
  o.signal?.throwIfAborted();
  // The scorer reuses its batch slots: remember which window each slot holds (slots are told apart by their buffer
  // and offset), so the next window there only undoes that one. Only this call writes them while it runs.
  const held = new WeakMap<ArrayBufferLike, Map<number, readonly [number, number]>>();
  const scores = await score(positions.length, (k, dst) => {
    if (fast) {
      let slots = held.get(dst.buffer);
      if (!slots) held.set(dst.buffer, (slots = new Map()));
      writeWindow(dst, x, f, lay, positions[k][0], wy, positions[k][1], win, W, slots.get(dst.byteOffset));
      slots.set(dst.byteOffset, positions[k]);
      return;
    }
    setWindow(positions[k], 0);
    writeMixed(dst, x, fill, mask, lay);
    setWindow(positions[k], 1);
  });
  const sum = new Float32Array(lay.units);
  const count = new Float32Array(lay.units);
  positions.forEach(([y0, x0], k) => {
    const drop = base - scores[k];
    for (let y = y0; y < y0 + wy; y++) {
      for (let c = y * W + x0; c < y * W + x0 + win; c++) {
        sum[c] += drop;
        count[c]++;
      }
    }
  });
  return sum.map((s, i) => (count[i] ? s / count[i] : 0));
}

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

/**
 * RISE: saliency(u) = Σ_i (s_i − s̄) · M_i(u) / (N · p) over N random smooth masks M_i that keep (1) or hide (set to
 * `fill`, 0) pixels, s_i the score of x ⊙ M_i and s̄ the mean score. The mean is subtracted because Σ s̄·M_i/(N·p) is
 * the same for every pixel (up to sampling noise): it says nothing about where the evidence is, yet on a confident
 * model it is most of the plain sum and flattens the map. So the map is the score's gain when u is kept, ≥ 0 where
 * keeping u helps. Per mask only its small field is kept (in a ring of `batch` rows: the scorer hands a score back
 * before it writes the sample a batch later) and the score-weighted fields are summed per shift; the full-size sums
 * are made once per shift at the end. Nothing is allocated per mask.
 */
export async function rise(score: StreamScorer, x: Float32Array, lay: InputLayout, o: { masks: number; grid: number; keep: number; fill: number; seed: number; batch: number; onProgress?: (f: number) => void; signal?: AbortSignal; kernel?: boolean }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const U = lay.units;
  const gen = new RiseMasks(new Mulberry32(o.seed), Math.min(o.grid, Math.max(H, W)), o.keep, H, W);
  const fill = Math.fround(o.fill);
  const F = gen.fieldSize;
  const rows = o.batch;
  const ring = new Float32Array(rows * F); // JS path; the kernel keeps its ring in its memory
  const ringShift = new Int32Array(rows);
  const mask = new Float32Array(U);
  // The SIMD kernel builds and mixes each sample, straight into batch buffers in its memory; the plain loops remain
  // for layouts it does not take.
  const mixer = o.kernel === false ? undefined : RiseMixer.take(gen, x, fill, lay, rows);
  // Per shift (JS path): Σ s_i·field_i and Σ field_i over the masks drawn with that shift. The kernel keeps its own.
  const weighted = mixer ? undefined : new Float64Array(gen.shifts * F);
  const counted = mixer ? undefined : new Float64Array(gen.shifts * F);
  const used = mixer ? undefined : new Uint8Array(gen.shifts);
  let total = 0;
  // Scores go in relative to the first one: the kernel sums in float32, where a large common part would cancel.
  let ref: number | undefined;
  try {
    await score(o.masks, (k, dst) => {
      o.signal?.throwIfAborted();
      const r = k % rows;
      if (mixer) {
        mixer.sample(dst, r);
        return;
      }
      const field = ring.subarray(r * F, (r + 1) * F);
      const shift = (ringShift[r] = gen.draw(field));
      gen.render(field, shift, mask);
      writeMixedFill(dst, x, fill, mask, lay);
    }, (k, s) => {
      total += s;
      ref ??= s;
      const r = k % rows;
      if (mixer) mixer.accumulate(r, s - ref);
      else {
        const shift = ringShift[r];
        used![shift] = 1;
        const off = r * F;
        const at = shift * F;
        for (let j = 0; j < F; j++) {
          const m = ring[off + j];
          weighted![at + j] += (s - ref) * m;
          counted![at + j] += m;
        }
      }
      if (k % o.batch === o.batch - 1) o.onProgress?.((k + 1) / o.masks);
    }, mixer?.batchBuffer(o.batch * x.length));
    // Σ_i (s_i − s̄)·M_i = Σ_shift upsample(Σ (s_i − ref)·field_i − (s̄ − ref)·Σ field_i), upsampling being linear.
    const mean = total / o.masks - (ref ?? 0);
    let acc: Float32Array | Float64Array;
    if (mixer) acc = mixer.finish(mean);
    else {
      const sums = new Float64Array(gen.shifts * F);
      for (let i = 0; i < sums.length; i++) sums[i] = weighted![i] - mean * counted![i];
      acc = gen.upsampleSum(sums, used!);
    }
    const out = new Float32Array(U);
    for (let u = 0; u < U; u++) out[u] = acc[u] / (o.masks * o.keep);
    return out;
  } finally {
    mixer?.release();
  }
}
