import type { InputLayout } from './layout';
import { writeMixed, writeWindow } from './layout';
import type { Scorer } from './scoring';

// Occlusion, a perturbation method (rise.ts is the other): it only needs forward passes, so it works on any model and
// runtime. Every occluded input is written straight into the scorer's reused batch buffer (see scoring.ts).

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
export async function occlusion(score: Scorer, x: Float32Array, lay: InputLayout, o: { window: number; stride: number; fill: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<Float32Array> {
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
  // A 224 px image is ~400 windows, a minute of a ViT's forward passes on a laptop CPU: say how far it got (at most
  // every 250 ms) and stop between windows when cancelled.
  let reported = -Infinity;
  o.onProgress?.(0, positions.length);
  const scores = await score(positions.length, (k, dst) => {
    if (performance.now() - reported >= 250) {
      o.signal?.throwIfAborted();
      if (k > 0) o.onProgress?.(k, positions.length);
      reported = performance.now();
    }
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
  o.onProgress?.(positions.length, positions.length);
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
