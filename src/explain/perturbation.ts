import type { InputLayout } from './layout';
import { writeMixed, writeMixedFill, writeWindow } from './layout';
import type { Scorer, StreamScorer } from './scoring';
import { rng } from '../runtime/synthesize';

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
  const scores = await score(positions.length, (k, dst) => {
    if (fast) return writeWindow(dst, x, f, lay, positions[k][0], wy, positions[k][1], win, W);
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
 * RISE masks, written into `out` (H·W values): a grid × grid field of random keep (1, probability p) / drop (0) cells,
 * upsampled bilinearly to cells of ⌈H/grid⌉ × ⌈W/grid⌉ pixels and shifted by a random fraction of a cell (Petsiuk et
 * al. 2018). The field has grid + 2 points per side so every shifted pixel interpolates between real points.
 */
export class RiseMasks {
  private readonly field: Float32Array;
  private readonly iy: Int32Array;
  private readonly ty: Float32Array;
  private readonly ix: Int32Array;
  private readonly tx: Float32Array;
  /** Each field row interpolated along x (doubles, so the values are exactly those computed per pixel before). */
  private readonly rowsX: Float64Array;
  constructor(private readonly next: () => number, private readonly grid: number, private readonly p: number, private readonly H: number, private readonly W: number) {
    this.field = new Float32Array((grid + 2) * (grid + 2));
    this.iy = new Int32Array(H);
    this.ty = new Float32Array(H);
    this.ix = new Int32Array(W);
    this.tx = new Float32Array(W);
    this.rowsX = new Float64Array((grid + 2) * W);
  }

  write(out: Float32Array): void {
    const { grid, H, W, field, iy, ty, ix, tx } = this;
    const G = grid + 2;
    for (let i = 0; i < field.length; i++) field[i] = this.next() < this.p ? 1 : 0;
    const cy = Math.ceil(H / grid);
    const cx = Math.ceil(W / grid);
    const sy = this.next() * cy;
    const sx = this.next() * cx;
    for (let y = 0; y < H; y++) {
      const f = (y + sy) / cy;
      iy[y] = Math.floor(f);
      ty[y] = f - iy[y];
    }
    for (let x = 0; x < W; x++) {
      const f = (x + sx) / cx;
      ix[x] = Math.floor(f);
      tx[x] = f - ix[x];
    }
    // Horizontal pass once per field row (G·W), not twice per pixel; then a vertical lerp per pixel.
    const rowsX = this.rowsX;
    const rowsUsed = Math.min(G, iy[H - 1] + 2);
    for (let r = 0; r < rowsUsed; r++) {
      const f0 = r * G;
      for (let x = 0; x < W; x++) {
        const c = f0 + ix[x];
        const a = tx[x];
        rowsX[r * W + x] = field[c] + a * (field[c + 1] - field[c]);
      }
    }
    for (let y = 0; y < H; y++) {
      const t0 = iy[y] * W;
      const t1 = t0 + W;
      const b = ty[y];
      const o = y * W;
      for (let x = 0; x < W; x++) {
        const top = rowsX[t0 + x];
        out[o + x] = top + b * (rowsX[t1 + x] - top);
      }
    }
  }
}

/**
 * RISE: saliency(u) = Σ_i (s_i − s̄) · M_i(u) / (N · p) over N random smooth masks M_i that keep (1) or hide (set to
 * `fill`, 0) pixels, s_i the score of x ⊙ M_i and s̄ the mean score. The mean is subtracted because Σ s̄·M_i/(N·p) is
 * the same for every pixel (up to sampling noise): it says nothing about where the evidence is, yet on a confident
 * model it is most of the plain sum and flattens the map. So the map is the score's gain when u is kept, ≥ 0 where
 * keeping u helps. Each mask is built when its sample is written, into a ring of 2·`batch` rows (the scorer
 * hands a score back before it writes the sample 2·batch later), so nothing is allocated per mask.
 */
export async function rise(score: StreamScorer, x: Float32Array, lay: InputLayout, o: { masks: number; grid: number; keep: number; fill: number; seed: number; batch: number; onProgress?: (f: number) => void; signal?: AbortSignal }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const U = lay.units;
  const gen = new RiseMasks(rng(o.seed), Math.min(o.grid, Math.max(H, W)), o.keep, H, W);
  const fill = Math.fround(o.fill);
  const rows = 2 * o.batch;
  const ring = new Float32Array(rows * U);
  const sum = new Float64Array(U); // Σ s_i M_i
  const cover = new Float64Array(U); // Σ M_i
  let total = 0;
  await score(o.masks, (k, dst) => {
    o.signal?.throwIfAborted();
    const m = ring.subarray((k % rows) * U, (k % rows + 1) * U);
    gen.write(m);
    writeMixedFill(dst, x, fill, m, lay);
  }, (k, s) => {
    total += s;
    const off = (k % rows) * U;
    for (let u = 0; u < U; u++) {
      const m = ring[off + u];
      sum[u] += s * m;
      cover[u] += m;
    }
    if (k % o.batch === o.batch - 1) o.onProgress?.((k + 1) / o.masks);
  });
  const mean = total / o.masks;
  const out = new Float32Array(U);
  for (let u = 0; u < U; u++) out[u] = (sum[u] - mean * cover[u]) / (o.masks * o.keep);
  return out;
}
