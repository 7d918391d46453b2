// The seeded generator behind synthesized inputs, SmoothGrad noise and RISE masks (whose WebAssembly kernel runs the
// same steps): checked against mulberry32 written independently in BigInt arithmetic, for seeds across the range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mulberry32, rng } from '../../src/runtime/synthesize';

function reference(seed: number): () => number {
  const M = 2n ** 32n;
  const mul = (a: bigint, b: bigint) => (a * b) % M;
  let a = BigInt(seed >>> 0);
  return () => {
    a = (a + 0x6d2b79f5n) % M;
    let t = mul(a ^ (a >> 15n), a | 1n);
    t = t ^ ((t + mul(t ^ (t >> 7n), t | 61n)) % M);
    return Number(t ^ (t >> 14n)) / 2 ** 32;
  };
}

test('Mulberry32 and rng() give the mulberry32 stream; the state can be carried over', () => {
  for (const seed of [0, 1, 42, 0x7fffffff, 0x80000000, 0xffffffff, -5]) {
    const want = reference(seed);
    const g = new Mulberry32(seed);
    const f = rng(seed);
    for (let i = 0; i < 2000; i++) {
      const w = want();
      assert.equal(g.next(), w, `seed ${seed} draw ${i}`);
      assert.equal(f(), w, `seed ${seed} draw ${i} (rng)`);
    }
    const copy = new Mulberry32(0);
    copy.state = g.state;
    assert.equal(copy.next(), want(), `seed ${seed}: a generator given the state continues the stream`);
  }
});
