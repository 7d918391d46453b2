import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DType } from '../../src/model/dtype';
import { decodeBytes, dequantize } from '../../src/stats/decode';

function decode(d: DType, bytes: Uint8Array, count: number, offset = 1): number[] {
  // Copy to an odd offset so the unaligned path is exercised for every multi-byte type.
  const host = new Uint8Array(bytes.length + offset);
  host.set(bytes, offset);
  const out = new Float64Array(count);
  decodeBytes(d, host.subarray(offset), out, count, new Uint8Array(bytes.length));
  return Array.from(out);
}
const u16 = (...v: number[]) => new Uint8Array(Uint16Array.from(v).buffer);
const same = (a: number[], b: number[]) => assert.deepEqual(a.map((x) => (Object.is(x, -0) ? '-0' : x)), b.map((x) => (Object.is(x, -0) ? '-0' : x)));

test('float16: normals, subnormals, ±Inf, NaN, -0', () => {
  same(decode('float16', u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555), 10),
    [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, 0.333251953125]);
  assert.ok(Number.isNaN(decode('float16', u16(0x7e00), 1)[0]));
  assert.ok(Number.isNaN(decode('float16', u16(0xfc01), 1)[0]));
});

test('bfloat16: top half of float32, subnormal, ±Inf, NaN, -0', () => {
  same(decode('bfloat16', u16(0x3f80, 0xc040, 0x0001, 0x7f80, 0xff80, 0x8000, 0x4049), 7),
    [1, -3, 2 ** -133, Infinity, -Infinity, -0, 3.140625]);
  assert.ok(Number.isNaN(decode('bfloat16', u16(0x7fc0), 1)[0]));
});

test('float32 and float64', () => {
  same(decode('float32', new Uint8Array(Float32Array.from([1.5, -0, 3.4028234663852886e38]).buffer), 3), [1.5, -0, 3.4028234663852886e38]);
  same(decode('float64', new Uint8Array(Float64Array.from([0.1, -1e300]).buffer), 2), [0.1, -1e300]);
});

test('integer types, including int64 beyond 32 bits and packed 4-bit', () => {
  same(decode('int8', Uint8Array.from([0x80, 0xff, 0x7f, 0]), 4), [-128, -1, 127, 0]);
  same(decode('uint8', Uint8Array.from([0, 255, 7]), 3), [0, 255, 7]);
  same(decode('bool', Uint8Array.from([0, 1, 2]), 3), [0, 1, 1]);
  same(decode('int16', new Uint8Array(Int16Array.from([-32768, 32767, -2]).buffer), 3), [-32768, 32767, -2]);
  same(decode('uint16', u16(65535, 1), 2), [65535, 1]);
  same(decode('int32', new Uint8Array(Int32Array.from([-2147483648, 2147483647]).buffer), 2), [-2147483648, 2147483647]);
  same(decode('uint32', new Uint8Array(Uint32Array.from([4294967295]).buffer), 1), [4294967295]);
  same(decode('int64', new Uint8Array(BigInt64Array.from([-1n, -(2n ** 40n) - 3n, 2n ** 52n + 1n]).buffer), 3), [-1, -(2 ** 40) - 3, 2 ** 52 + 1]);
  same(decode('uint64', new Uint8Array(BigUint64Array.from([2n ** 63n, 5n]).buffer), 2), [2 ** 63, 5]);
  // int4: low nibble first; 0x8 is -8, 0xF is -1.
  same(decode('int4', Uint8Array.from([0x8f, 0x71]), 4), [-1, -8, 1, 7]);
  same(decode('uint4', Uint8Array.from([0x8f, 0x71]), 3), [15, 8, 1]);
});

test('float8 variants', () => {
  same(decode('float8e4m3fn', Uint8Array.from([0x38, 0x7e, 0xfe, 0x01, 0x80]), 5), [1, 448, -448, 2 ** -9, -0]);
  assert.ok(Number.isNaN(decode('float8e4m3fn', Uint8Array.from([0x7f]), 1)[0]));
  same(decode('float8e5m2', Uint8Array.from([0x3c, 0x7c, 0xfc, 0x7b]), 4), [1, Infinity, -Infinity, 57344]);
  assert.ok(Number.isNaN(decode('float8e4m3fnuz', Uint8Array.from([0x80]), 1)[0]));
  same(decode('float8e4m3fnuz', Uint8Array.from([0x40, 0x00]), 2), [1, 0]);
  same(decode('float8e5m2fnuz', Uint8Array.from([0x40]), 1), [1]);
});

test('dequantization: per-tensor affine, per-axis affine, TF.js min/scale and offset', () => {
  const a = Float64Array.from([0, 10, 255]);
  dequantize({ kind: 'affine', scale: [0.5], zeroPoint: [10] }, a, 3, 0, [3]);
  same(Array.from(a), [-5, 0, 122.5]);
  // shape [2, 3], axis 0: row 0 scale 1 zp 0, row 1 scale 2 zp 1; start mid-tensor at element 2.
  const b = Float64Array.from([4, 1, 2, 3]);
  dequantize({ kind: 'affine', scale: [1, 2], zeroPoint: [0, 1], axis: 0 }, b, 4, 2, [2, 3]);
  same(Array.from(b), [4, 0, 2, 4]);
  // axis 1 of [2, 2]: channel alternates.
  const c = Float64Array.from([1, 1, 1, 1]);
  dequantize({ kind: 'affine', scale: [1, 3], zeroPoint: [0, 0], axis: 1 }, c, 4, 0, [2, 2]);
  same(Array.from(c), [1, 3, 1, 3]);
  const d = Float64Array.from([0, 255]);
  dequantize({ kind: 'tfjs', dtype: 'uint8', scale: 0.25, min: -1 }, d, 2, 0, [2]);
  same(Array.from(d), [-1, 62.75]);
  const e = Float64Array.from([0, 4]);
  dequantize({ kind: 'tfjs', dtype: 'uint8', scale: 0.5, offset: 2 }, e, 2, 0, [2]);
  same(Array.from(e), [-1, 1]);
});
