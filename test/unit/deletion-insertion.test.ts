// Deletion/insertion: the order of units by decreasing attribution — by decreasing attribution, ties in index order, NaN last, -0 tied with 0 — the
// radix sort must give exactly what a comparator sort gives — and the samples written step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deletionInsertion, rankUnits } from '../../src/explain/quality';
import { inputLayout, writeMixed } from '../../src/explain/layout';
import { defaultWindow } from '../../src/explain/explain';

test('rankUnits equals a stable comparator sort (ties, NaN, ±0, ±Infinity, values differing only in low bits, large maps)', () => {
  for (const n of [1, 2, 7, 4096, 70000]) {
    const m = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? NaN : i % 13 === 0 ? -0 : i % 17 === 0 ? -Infinity : i % 19 === 0 ? Infinity : i % 23 === 0 ? (i % 2 ? -1 : 1) * (1 + (i % 64) * 2 ** -23) : Math.round(Math.sin(i) * 1000) / 7));
    const key = (v: number) => (Number.isNaN(v) ? -Infinity : v);
    // -Infinity − -Infinity is NaN: a comparator treats that as a tie too, so compare index order there explicitly.
    const fixed = Array.from(m.keys()).sort((a, b) => {
      const d = key(m[b]) - key(m[a]);
      return Number.isNaN(d) || d === 0 ? a - b : d;
    });
    assert.deepEqual(Array.from(rankUnits(m)), fixed, `n = ${n}`);
  }
});

test('deletion/insertion samples written step by step equal the whole mix, in any batch size', async () => {
  for (const [shape, batch] of [[[1, 3, 12, 12], 4], [[1, 12, 12, 3], 1], [[1, 50], 64], [[1, 1, 8, 8], 7]] as const) {
    const lay = inputLayout([...shape]);
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 2);
    const map = Float32Array.from({ length: lay.units }, (_, u) => ((u * 37) % 11) - 3);
    for (const buffers of [1, 2]) {
      const samples: Float32Array[] = [];
      // A scorer like the real one (one batch buffer, reused batch after batch), or one that alternates two buffers:
      // samples written in order, each slot still holding what was last written there.
      const bufs = Array.from({ length: buffers }, () => new Float32Array(batch * n));
      const scorer = async (count: number, write: (k: number, dst: Float32Array) => void) => {
        for (let i = 0, b = 0; i < count; i += batch, b++) {
          for (let k = i; k < Math.min(count, i + batch); k++) {
            const dst = bufs[b % buffers].subarray((k - i) * n, (k - i + 1) * n);
            write(k, dst);
            samples[k] = dst.slice();
          }
        }
        return new Float32Array(count);
      };
      await deletionInsertion(scorer, x, map, lay, 8);
      const order = rankUnits(map);
      const mask = new Float32Array(lay.units);
      const want = new Float32Array(n);
      for (let k = 0; k < 18; k++) {
        const insert = k > 8;
        const m = Math.round(((insert ? k - 9 : k) / 8) * order.length);
        mask.fill(insert ? 0 : 1);
        for (let i = 0; i < m; i++) mask[order[i]] = insert ? 1 : 0;
        writeMixed(want, x, new Float32Array(n), mask, lay);
        assert.deepEqual(samples[k], want, `${shape} batch ${batch}, ${buffers} buffer(s), sample ${k}`);
      }
    }
  }
});

test('occlusion default window scales with the input: a tenth of the shorter side (≥ 2 px), or of the length (≥ 1)', () => {
  const cases: [number[], number][] = [[[1, 1, 32, 32], 3], [[1, 3, 64, 64], 6], [[1, 224, 224, 3], 22], [[1, 3, 8, 8], 2], [[1, 3, 32, 200], 3], [[1, 50], 5], [[1, 5], 1]];
  for (const [shape, want] of cases) assert.equal(defaultWindow(inputLayout(shape)), want, `${shape}`);
});
