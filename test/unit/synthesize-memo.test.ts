// Synthesized inputs are remembered for repeated runs; the memo must hand out the same values as a fresh draw, as
// copies the caller may change, and never mix up arrays that differ in any of the things that decide their values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng, synthesize } from '../../src/runtime/synthesize';

test('synthesize: a repeated request gets equal values in a separate array', () => {
  const a = synthesize('float32', [1, 3, 8, 8], 'normal', 5).data as Float32Array;
  const b = synthesize('float32', [1, 3, 8, 8], 'normal', 5).data as Float32Array;
  assert.notEqual(a, b);
  assert.deepEqual(Array.from(b), Array.from(a));
  a.fill(42); // a caller writing into its input must not change what the next caller gets
  const c = synthesize('float32', [1, 3, 8, 8], 'normal', 5).data as Float32Array;
  assert.deepEqual(Array.from(c), Array.from(b));
});

test('synthesize: the values are the seeded draw (normal: Box-Muller on mulberry32), whatever was asked before', () => {
  const next = rng(9);
  const want = Array.from({ length: 12 }, () => Math.fround(Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next())));
  for (const [shape, kind, seed] of [[[12], 'normal', 9], [[12], 'uniform', 9], [[3, 4], 'normal', 9], [[12], 'normal', 10], [[12], 'normal', 9]] as const) {
    const got = Array.from(synthesize('float32', [...shape], kind, seed).data as Float32Array);
    const same = kind === 'normal' && seed === 9;
    assert.equal(got.every((v, i) => v === want[i]), same, `${shape} ${kind} seed ${seed}`);
  }
  assert.deepEqual(Array.from(synthesize('int64', [3], 'range', 0, 2).data as BigInt64Array), [0n, 1n, 0n]);
  assert.deepEqual(Array.from(synthesize('int64', [3], 'range', 0, 3).data as BigInt64Array), [0n, 1n, 2n]);
});
