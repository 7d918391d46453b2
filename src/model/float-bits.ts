import type { DType } from './dtype';

/**
 * Bit patterns of the small float types → numbers, shared by every reader and the stats. (ONNX stores float16/bfloat16/float8 values in int32_data as
 * their raw bit patterns; TF.js and .npy store float16.)
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16ToNumber(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Generic small-float decode once the special codes are handled: E exponent bits, M mantissa bits, bias B. */
function minifloat(bits: number, E: number, M: number, B: number): number {
  const sign = bits & (1 << (E + M)) ? -1 : 1;
  const exp = (bits >> M) & ((1 << E) - 1);
  const mant = bits & ((1 << M) - 1);
  if (exp === 0) return sign * mant * 2 ** (1 - B - M);
  return sign * (1 + mant / (1 << M)) * 2 ** (exp - B);
}

export function float8ToNumber(bits: number, dtype: DType): number {
  const b = bits & 0xff;
  switch (dtype) {
    case 'float8e4m3fn': // no infinities; S.1111.111 is NaN
      return (b & 0x7f) === 0x7f ? NaN : minifloat(b, 4, 3, 7);
    case 'float8e4m3fnuz': // no negative zero: 0x80 is the only NaN
      return b === 0x80 ? NaN : minifloat(b, 4, 3, 8);
    case 'float8e5m2': // IEEE-like: the top byte of a float16
      return float16ToNumber(b << 8);
    case 'float8e5m2fnuz':
      return b === 0x80 ? NaN : minifloat(b, 5, 2, 16);
    default:
      return NaN;
  }
}

/** Number → IEEE half bits, rounding to nearest with ties to even (as numpy and the ONNX spec do). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  // Full significand with its implicit bit, and how many low bits a half drops from it.
  const sig = exp === 0 ? mant : mant | 0x800000;
  const shift = e <= 0 ? 14 - e : 13;
  if (shift > 24) return sign;
  const kept = Math.floor(sig / 2 ** shift);
  const rest = sig - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  const rounded = rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
  // Normal halves carry the exponent; a carry out of the mantissa bumps it, which the addition does for us.
  return e <= 0 ? sign | rounded : sign | ((e << 10) + (rounded - 0x400));
}
