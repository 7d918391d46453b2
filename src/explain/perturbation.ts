import type { InputLayout } from './layout';
import { mixByUnits } from './layout';
import { rng } from '../runtime/synthesize';

// Perturbation methods: they only need forward passes, so they work on any model and runtime. `Scorer` scores a list
// of inputs (batched through the batch dimension when the caller can), returning the target score of each.

export type Scorer = (xs: Float32Array[]) => Promise<number[]>;

/**
 * Occlusion: slide a window × window patch (stride `stride`) of value `fill` over the image (or over the elements of a
 * non-image), record score(x) − score(occluded), and give every unit the mean drop of the windows covering it.
 * Signed: a negative value means hiding the unit raised the score.
 */
export async function occlusion(score: Scorer, x: Float32Array, lay: InputLayout, o: { window: number; stride: number; fill: number; onProgress?: (f: number) => void }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const win = Math.min(o.window, H === 1 ? W : Math.min(H, W));
  const wy = H === 1 ? 1 : win;
  const positions: [number, number][] = [];
  const ys = [];
  for (let y = 0; y + wy <= H; y += H === 1 ? 1 : o.stride) ys.push(y);
  if (ys[ys.length - 1] + wy < H) ys.push(H - wy);
  const xsPos = [];
  for (let c = 0; c + win <= W; c += o.stride) xsPos.push(c);
  if (xsPos[xsPos.length - 1] + win < W) xsPos.push(W - win);
  for (const y of ys) for (const c of xsPos) positions.push([y, c]);
  const fill = new Float32Array(x.length).fill(o.fill);
  const inputs = positions.map(([y0, x0]) => {
    const mask = new Float32Array(lay.units).fill(1);
    for (let y = y0; y < y0 + wy; y++) for (let c = x0; c < x0 + win; c++) mask[y * W + c] = 0;
    return mixByUnits(x, fill, mask, lay);
  });
  const [base] = await score([x]);
  const scores = await score(inputs);
  o.onProgress?.(1);
  const sum = new Float32Array(lay.units);
  const count = new Float32Array(lay.units);
  positions.forEach(([y0, x0], k) => {
    for (let y = y0; y < y0 + wy; y++) {
      for (let c = x0; c < x0 + win; c++) {
        sum[y * W + c] += base - scores[k];
        count[y * W + c]++;
      }
    }
  });
  return sum.map((s, i) => (count[i] ? s / count[i] : 0));
}

/** A grid × grid random binary mask (keep probability p), upsampled bilinearly with a random sub-cell shift. */
function riseMask(next: () => number, grid: number, p: number, H: number, W: number): Float32Array {
  const g = new Float32Array((grid + 1) * (grid + 1)).map(() => (next() < p ? 1 : 0));
  const cy = Math.ceil(H / grid);
  const cx = Math.ceil(W / grid);
  const sy = next() * cy;
  const sx = next() * cx;
  const m = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const fy = (y + sy) / cy;
    const iy = Math.min(grid - 1, Math.floor(fy));
    const ty = fy - iy;
    for (let x = 0; x < W; x++) {
      const fx = (x + sx) / cx;
      const ix = Math.min(grid - 1, Math.floor(fx));
      const tx = fx - ix;
      const at = (a: number, b: number) => g[a * (grid + 1) + b];
      m[y * W + x] = (1 - ty) * ((1 - tx) * at(iy, ix) + tx * at(iy, ix + 1)) + ty * ((1 - tx) * at(iy + 1, ix) + tx * at(iy + 1, ix + 1));
    }
  }
  return m;
}

/**
 * RISE: saliency = Σ_i score(x ⊙ M_i) · M_i / (N · p) over N random smooth masks (masked parts set to `fill`).
 * Non-negative when scores are probabilities (they saturate on very confident models, which flattens the map).
 */
export async function rise(score: Scorer, x: Float32Array, lay: InputLayout, o: { masks: number; grid: number; keep: number; fill: number; seed: number; chunk: number; onProgress?: (f: number) => void; signal?: AbortSignal }): Promise<Float32Array> {
  const H = lay.image ? lay.height! : 1;
  const W = lay.image ? lay.width! : lay.units;
  const next = rng(o.seed);
  const fill = new Float32Array(x.length).fill(o.fill);
  const sal = new Float32Array(lay.units);
  for (let i = 0; i < o.masks; i += o.chunk) {
    o.signal?.throwIfAborted();
    const masks = Array.from({ length: Math.min(o.chunk, o.masks - i) }, () => riseMask(next, Math.min(o.grid, Math.max(H, W)), o.keep, H, W));
    const scores = await score(masks.map((m) => mixByUnits(x, fill, m, lay)));
    masks.forEach((m, k) => {
      for (let u = 0; u < sal.length; u++) sal[u] += scores[k] * m[u];
    });
    o.onProgress?.(Math.min(1, (i + masks.length) / o.masks));
  }
  return sal.map((v) => v / (o.masks * o.keep));
}
