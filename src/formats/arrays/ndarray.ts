import type { DType } from '../../model/dtype';

/** Element storage per dtype: typed arrays for numbers, bigint arrays for 64-bit ints, strings for text. */
export type NdData =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

/**
 * A dense, C-ordered array in memory: what input files decode to and what runtimes take and return.
 * float16/bfloat16 keep their raw bits in a Uint16Array; bool is a Uint8Array of 0/1.
 */
export interface NdArray {
  readonly dtype: DType;
  readonly shape: number[];
  readonly data: NdData;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates the typed array that holds `n` elements of `dtype`, or undefined for dtypes we cannot hold. */
export function allocData(dtype: DType, n: number): NdData | undefined {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'string': return new Array<string>(n).fill('');
    default: return undefined;
  }
}

/** Bytes per element of the typed storage (string has none). */
export function storageBytes(dtype: DType): number | undefined {
  const d = allocData(dtype, 0);
  return d && !Array.isArray(d) ? (d as Exclude<NdData, string[]>).BYTES_PER_ELEMENT : undefined;
}

/** Copies little-endian bytes into a fresh typed array of `dtype` (a copy, so the result is aligned). */
export function fromLittleEndian(dtype: DType, bytes: Uint8Array, n: number): NdData | undefined {
  const out = allocData(dtype, n);
  if (!out || Array.isArray(out)) return undefined;
  const typed = out as Exclude<NdData, string[]>;
  new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).set(bytes.subarray(0, typed.byteLength));
  return typed;
}

/** Element i as a JS number (64-bit ints lose precision past 2^53; float16/bfloat16 are decoded). */
export function numberAt(a: NdArray, i: number): number {
  const v = a.data[i];
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number.NaN;
  if (a.dtype === 'float16') return halfToFloat(v);
  if (a.dtype === 'bfloat16') return bf16ToFloat(v);
  return v;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToFloat(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >> shift;
    if ((mant >> (shift - 1)) & 1) h++; // round half up: good enough for synthesized inputs
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >> 13);
  if (mant & 0x1000) h++;
  return h;
}
