// Occlusion writes each sample as "x with one window filled", undoing only the previous window of the same batch
// slot. Whatever the order and overlap of windows, every sample must equal the plain mix with a 0/1 window mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputLayout, writeMixed, writeWindow } from '../../src/explain/layout';
import { rng } from '../../src/runtime/synthesize';

test('occlusion windows written over the previous one equal the whole mix (NCHW, NHWC, 1 channel, non-image)', () => {
  for (const shape of [[1, 3, 12, 10], [1, 12, 10, 3], [1, 1, 9, 9], [1, 40]]) {
    const lay = inputLayout(shape);
    const n = shape.reduce((a, b) => a * b, 1);
    const H = lay.image ? lay.height! : 1;
    const W = lay.image ? lay.width! : lay.units;
    const next = rng(3);
    const x = Float32Array.from({ length: n }, () => next() * 4 - 2);
    const fill = 0.25;
    const [rows, cols] = H === 1 ? [1, 5] : [3, 4];
    const dst = new Float32Array(n);
    const want = new Float32Array(n);
    const mask = new Float32Array(lay.units);
    let previous: [number, number] | undefined;
    for (let k = 0; k < 60; k++) {
      // Random corners, so windows overlap the previous one in every way (and sometimes coincide).
      const at: [number, number] = [Math.floor(next() * (H - rows + 1)), Math.floor(next() * (W - cols + 1))];
      writeWindow(dst, x, fill, lay, at[0], rows, at[1], cols, W, previous);
      previous = at;
      mask.fill(1);
      for (let y = at[0]; y < at[0] + rows; y++) mask.fill(0, y * W + at[1], y * W + at[1] + cols);
      writeMixed(want, x, new Float32Array(n).fill(fill), mask, lay);
      assert.deepEqual(dst, want, `${shape} window ${k} at ${at}`);
    }
  }
});
