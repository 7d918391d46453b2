// The GGML dequantizers against an independent quantizer (test/support/ggml-quantizer.ts): the bytes it writes
// must decode to the values it says they stand for, for every block type stats decodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockScaleStats } from '../../src/formats/gguf/block-scales';
import { dequantizeGgml, GGML_BLOCKS } from '../../src/formats/gguf/dequantize';
import { BLOCK, quantize, type QuantType } from '../support/ggml-quantizer';
import { memSource, normals } from './stats-fixtures';

const TYPES: QuantType[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

/** Distance in float32 units in the last place (0 when equal). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (x: number) => (x < 0 ? 0x80000000 - x : x); // order the sign-magnitude patterns
  return Math.abs(key(i[0]) - key(i[1]));
}

for (const type of TYPES) {
  test(`${type}: dequantized values equal the independent quantizer's reconstruction`, () => {
    assert.deepEqual(GGML_BLOCKS[type], { elements: BLOCK[type].n, bytes: BLOCK[type].bytes });
    // Values with a spread of magnitudes, a constant block and a zero block, so scales, mins and signs all vary.
    const n = 16 * 256;
    const x = normals(n, 11 + type.length, 0.05, 0.01);
    for (let i = 0; i < n; i += 512) x[i] = 0.4; // outliers, as real weights have
    x.fill(0, 256, 512);
    x.fill(-0.03, 1024, 1280);
    const q = quantize(type, x);
    // The quantizer is a real one: its reconstruction is close to the input.
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(q.values[i] - x[i]));
    assert.ok(err < 0.2, `${type} quantizer error ${err}`);
    assert.ok(new Set(q.values).size > 8, 'values vary');
    // Decoded from an odd offset of a larger buffer, as file reads may hand them over.
    const host = new Uint8Array(q.bytes.length + 3);
    host.set(q.bytes, 3);
    const out = new Float32Array(n);
    dequantizeGgml(type, host.subarray(3), out, n / BLOCK[type].n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const d = ulps(out[i], q.values[i]);
      if (d > worst) worst = d;
      assert.ok(d <= 1, `${type} element ${i}: ${out[i]} vs ${q.values[i]}`);
    }
  });
}

test('too few bytes for the blocks asked is refused, not read past', () => {
  assert.throws(() => dequantizeGgml('Q4_0', new Uint8Array(17), new Float32Array(32), 1), RangeError);
});

test('block scale summary: min/max/mean of d equal the scales the independent quantizer chose', async () => {
  for (const type of TYPES) {
    const n = 16 * 256;
    const x = normals(n, 5, 0.05);
    x.fill(0, 0, 256); // a zero block (d = 0) at the start
    const q = quantize(type, x);
    const t = { name: 'w', dtype: 'float32' as const, shape: [n], elementCount: n, location: 'inline' as const, quantization: { kind: 'ggml' as const, type }, data: memSource(q.bytes) };
    const s = await blockScaleStats(t, 7); // a chunk size that does not divide the block count
    const d = Array.from(q.d);
    assert.ok(s, type);
    assert.equal(s.blocks, d.length);
    assert.equal(s.min, Math.min(...d), type);
    assert.equal(s.max, Math.max(...d), type);
    assert.ok(Math.abs(s.mean - d.reduce((a, b) => a + b, 0) / d.length) < 1e-12, type);
    assert.equal(s.zero, d.filter((v) => v === 0).length, type);
    assert.ok(s.zero >= 1, `${type}: the zero block has d = 0`);
    assert.equal(s.nonFinite, 0);
  }
  assert.equal(await blockScaleStats({ name: 'f', dtype: 'float32', shape: [1], elementCount: 1, location: 'inline' }), undefined);
});
