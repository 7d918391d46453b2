// The WebAssembly SIMD loop of the weights comparison against a plain computation of the same float32 differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimdDiff } from '../../src/compare/weight-diff-simd';
import { noise } from './compare-fixtures';

test('SIMD sums, max |a−b| and fine-histogram counts equal a direct computation', (t) => {
  const k = SimdDiff.create();
  if (!k) return t.skip('no WebAssembly SIMD in this Node');
  const n = 100_003;
  const a = noise(n, 1, 2);
  const delta = noise(n, 2, 1e-3);
  const b = Float32Array.from(a, (v, i) => v + delta[i] * (i % 3)); // a third of the pairs equal
  const r = k.run(a, b, n);
  assert.equal(r.n4, n - 3);
  let aa = 0, bb = 0, dd = 0, max = 0;
  const d = new Float32Array(r.n4);
  const fine = new Int32Array(65536);
  const bits = new Uint32Array(d.buffer);
  for (let i = 0; i < r.n4; i++) {
    d[i] = a[i] - b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    dd += d[i] * d[i];
    max = Math.max(max, Math.abs(d[i]));
    fine[bits[i] >>> 16]++;
  }
  for (const [got, want] of [[r.aa, aa], [r.bb, bb], [r.dd, dd]]) assert.ok(Math.abs(got - want) <= 1e-12 * want, `${got} vs ${want}`);
  assert.equal(r.max, max);
  assert.deepEqual(Array.from(k.fine), Array.from(fine));
});
