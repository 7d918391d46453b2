import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToNumber, float16ToNumber, floatToHalf } from '../../src/model/float-bits';

test('float16 decode: edge values', () => {
  assert.equal(float16ToNumber(0x3c00), 1);
  assert.equal(float16ToNumber(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(float16ToNumber(0x7bff), 65504); // largest finite
  assert.equal(float16ToNumber(0x7c00), Infinity);
  assert.equal(float16ToNumber(0xfc00), -Infinity);
  assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
  assert.ok(Object.is(float16ToNumber(0x8000), -0));
  assert.equal(bfloat16ToNumber(0x3f80), 1);
  assert.equal(bfloat16ToNumber(0xc040), -3);
});

test('floatToHalf: every half round-trips and exact midpoints round to even', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = float16ToNumber(h);
    if (Number.isNaN(v)) assert.ok(Number.isNaN(float16ToNumber(floatToHalf(v))));
    else assert.equal(floatToHalf(v), h, `half 0x${h.toString(16)}`);
  }
  let midpoints = 0;
  for (let h = 0; h < 0x7bff; h++) {
    const m = (float16ToNumber(h) + float16ToNumber(h + 1)) / 2;
    if (Math.fround(m) !== m) continue; // not representable as float32: not a tie
    midpoints++;
    assert.equal(floatToHalf(m), h % 2 === 0 ? h : h + 1, `midpoint after 0x${h.toString(16)}`);
  }
  assert.ok(midpoints > 30000);
  assert.equal(floatToHalf(65520), 0x7c00); // rounds up to Inf, as IEEE says
  assert.equal(floatToHalf(1e-8), 0); // below half the smallest subnormal
});
