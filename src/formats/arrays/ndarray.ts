import type { DType } from '../../model/dtype';
import { bfloat16ToNumber, float16ToNumber } from '../../model/float-bits';

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
  if (a.dtype === 'float16') return float16ToNumber(v);
  if (a.dtype === 'bfloat16') return bfloat16ToNumber(v);
  return v;
}

