// Deletion/insertion order: units by decreasing attribution, ties in index order, NaN last, -0 tied with 0 — the
// packed-key sort must give exactly what a comparator sort gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankUnits } from '../../src/explain/quality';

test('rankUnits equals a stable comparator sort (ties, NaN, ±0, ±Infinity, large maps)', () => {
  for (const n of [1, 2, 7, 4096, 70000]) {
    const m = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? NaN : i % 13 === 0 ? -0 : i % 17 === 0 ? -Infinity : i % 19 === 0 ? Infinity : Math.round(Math.sin(i) * 1000) / 7));
    const key = (v: number) => (Number.isNaN(v) ? -Infinity : v);
    // -Infinity − -Infinity is NaN: a comparator treats that as a tie too, so compare index order there explicitly.
    const fixed = Array.from(m.keys()).sort((a, b) => {
      const d = key(m[b]) - key(m[a]);
      return Number.isNaN(d) || d === 0 ? a - b : d;
    });
    const got = Array.from(rankUnits(m));
    assert.deepEqual(got, fixed, `n = ${n}`);
  }
});
