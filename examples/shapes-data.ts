import { rng } from '../src/runtime/synthesize';
// Generated "shapes" images, shared by the training script (examples/train-example.ts) and the saliency tests: the
// class depends only on which shape is drawn (0 square outline, 1 cross, 2 filled circle), the shape sits at a random
// place on a noisy background, and each sample carries the shape's bounding box so a test can check that a saliency
// map looks at the shape. Seeded: the same seed gives the same images everywhere.

export const SIZE = 32;
export const CLASSES = ['square', 'cross', 'circle'] as const;

export interface ShapeSample {
  /** SIZE×SIZE grey values, row-major, about 0..1. */
  pixels: Float32Array;
  label: number;
  /** Inclusive pixel bounds of the drawn shape. */
  box: { x0: number; y0: number; x1: number; y1: number };
}

/** The runtime's seeded generator (mulberry32): identical on every platform, so held-back images are reproducible. */
export const shapesRng = rng;

/**
 * One image of class `label` (random when omitted). Background: uniform noise in 0..`noise` (0.3 unless training asks
 * for more); shape: intensity 0.8..1.
 */
export function makeShape(next: () => number, label = Math.floor(next() * 3), noise = 0.3): ShapeSample {
  const px = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < px.length; i++) px[i] = next() * noise;
  const s = 9 + Math.floor(next() * 4); // side 9..12
  const x0 = 1 + Math.floor(next() * (SIZE - s - 1));
  const y0 = 1 + Math.floor(next() * (SIZE - s - 1));
  const x1 = x0 + s - 1;
  const y1 = y0 + s - 1;
  const ink = 0.8 + next() * 0.2;
  const c = (s - 1) / 2;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      let on: boolean;
      if (label === 0) on = x < 2 || y < 2 || x >= s - 2 || y >= s - 2;
      else if (label === 1) on = Math.abs(x - c) <= 1 || Math.abs(y - c) <= 1;
      else on = (x - c) ** 2 + (y - c) ** 2 <= (c + 0.5) ** 2;
      if (on) px[(y0 + y) * SIZE + x0 + x] = ink;
    }
  }
  return { pixels: px, label, box: { x0, y0, x1, y1 } };
}

/**
 * `n` samples from `seed`, classes balanced by cycling. Training uses seed 1 with `noise` varying per sample; tests
 * use held-back seeds and the plain 0.3 background.
 */
export function makeShapes(n: number, seed: number, noise: (i: number) => number = () => 0.3): ShapeSample[] {
  const next = shapesRng(seed);
  return Array.from({ length: n }, (_, i) => makeShape(next, i % 3, noise(i)));
}
