import type { DType } from '../../model/dtype';
import type { Tensor } from '../../model/tensor';
import type { onnx } from 'onnx-proto';
import { bfloat16ToNumber, float16ToNumber, float8ToNumber } from '../../model/float-bits';
import { int64Big, type Int64 } from './types';

/**
 * TensorProto's typed fields (float_data, int32_data, …) → decoded `values` plus a writer of the same elements as
 * little-endian bytes in the tensor's dtype, so stats code streams these tensors exactly like raw_data ones.
 */
export interface TypedData {
  values: NonNullable<Tensor['values']>;
  /** Bytes in the dtype's little-endian layout; undefined for strings (no fixed-size layout). */
  bytes?: () => Uint8Array;
  byteLength: number;
  /** The TensorProto field the values came from, shown as the tensor's origin. */
  field: string;
}

export type TypedResult = { ok: TypedData } | { problem: string } | undefined;

const utf8 = new TextDecoder('utf-8');

/** Which typed field holds this dtype, how many entries one element takes, and how entries become values/bytes. */
export function readTypedFields(tp: onnx.ITensorProto, dtype: DType, elementCount: number): TypedResult {
  const check = (field: string, have: number, want: number): string | undefined =>
    have === want ? undefined : `${field} has ${have} entries, expected ${want} for ${elementCount} elements`;

  switch (dtype) {
    case 'float32':
    case 'complex64': {
      const src = tp.floatData ?? [];
      if (!src.length) return undefined;
      const want = dtype === 'complex64' ? elementCount * 2 : elementCount;
      const p = check('float_data', src.length, want);
      if (p) return { problem: p };
      const values = Float32Array.from(src);
      return { ok: { field: 'float_data', values, byteLength: values.length * 4, bytes: () => le(values.length, 4, (dv, i) => dv.setFloat32(i * 4, values[i], true)) } };
    }
    case 'float64':
    case 'complex128': {
      const src = tp.doubleData ?? [];
      if (!src.length) return undefined;
      const want = dtype === 'complex128' ? elementCount * 2 : elementCount;
      const p = check('double_data', src.length, want);
      if (p) return { problem: p };
      const values = Float64Array.from(src);
      return { ok: { field: 'double_data', values, byteLength: values.length * 8, bytes: () => le(values.length, 8, (dv, i) => dv.setFloat64(i * 8, values[i], true)) } };
    }
    case 'int64':
    case 'uint64': {
      const src = (dtype === 'int64' ? tp.int64Data : tp.uint64Data) ?? [];
      if (!src.length) return undefined;
      const p = check(dtype === 'int64' ? 'int64_data' : 'uint64_data', src.length, elementCount);
      if (p) return { problem: p };
      const unsigned = dtype === 'uint64';
      const values = unsigned ? new BigUint64Array(src.length) : new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) values[i] = int64Big(src[i] as Int64, unsigned);
      return { ok: { field: dtype === 'int64' ? 'int64_data' : 'uint64_data', values, byteLength: values.length * 8, bytes: () => le(values.length, 8, (dv, i) => (unsigned ? dv.setBigUint64(i * 8, values[i] as bigint, true) : dv.setBigInt64(i * 8, values[i] as bigint, true))) } };
    }
    case 'uint32': {
      const src = tp.uint64Data ?? [];
      if (!src.length) return undefined;
      const p = check('uint64_data', src.length, elementCount);
      if (p) return { problem: p };
      const values = Uint32Array.from(src, (v) => Number(int64Big(v as Int64, true) & 0xffffffffn));
      return { ok: { field: 'uint64_data', values, byteLength: values.length * 4, bytes: () => le(values.length, 4, (dv, i) => dv.setUint32(i * 4, values[i], true)) } };
    }
    case 'string': {
      const src = tp.stringData ?? [];
      if (!src.length) return undefined;
      const p = check('string_data', src.length, elementCount);
      if (p) return { problem: p };
      return { ok: { field: 'string_data', values: src.map((b) => utf8.decode(b)), byteLength: 0 } };
    }
    default:
      return int32Field(tp.int32Data ?? [], dtype, elementCount, check);
  }
}

/** Every dtype narrower than 32 bits lives in int32_data: ints directly, small floats as bit patterns. */
function int32Field(src: number[], dtype: DType, elementCount: number, check: (f: string, h: number, w: number) => string | undefined): TypedResult {
  if (!src.length) return undefined;
  if (dtype === 'int4' || dtype === 'uint4') {
    // Two 4-bit elements per entry (low nibble first), as onnx.numpy_helper packs them.
    const p = check('int32_data', src.length, Math.ceil(elementCount / 2));
    if (p) return { problem: p };
    const values = new Int8Array(elementCount);
    for (let i = 0; i < elementCount; i++) {
      const nib = (src[i >> 1] >> ((i & 1) * 4)) & 0xf;
      values[i] = dtype === 'int4' && nib > 7 ? nib - 16 : nib;
    }
    const packed = Uint8Array.from(src, (v) => v & 0xff);
    return { ok: { field: 'int32_data', values, byteLength: packed.length, bytes: () => packed } };
  }
  const p = check('int32_data', src.length, elementCount);
  if (p) return { problem: p };
  const n = src.length;
  switch (dtype) {
    case 'int32': {
      const values = Int32Array.from(src);
      return { ok: { field: 'int32_data', values, byteLength: n * 4, bytes: () => le(n, 4, (dv, i) => dv.setInt32(i * 4, values[i], true)) } };
    }
    case 'int16':
    case 'uint16': {
      const values = dtype === 'int16' ? Int16Array.from(src) : Uint16Array.from(src);
      return { ok: { field: 'int32_data', values, byteLength: n * 2, bytes: () => le(n, 2, (dv, i) => dv.setUint16(i * 2, values[i] & 0xffff, true)) } };
    }
    case 'int8':
    case 'uint8':
    case 'bool': {
      const values = dtype === 'int8' ? Int8Array.from(src) : Uint8Array.from(src, (v) => (dtype === 'bool' ? (v ? 1 : 0) : v));
      return { ok: { field: 'int32_data', values, byteLength: n, bytes: () => Uint8Array.from(values, (v) => v & 0xff) } };
    }
    case 'float16':
    case 'bfloat16': {
      const values = Float32Array.from(src, (v) => (dtype === 'float16' ? float16ToNumber(v) : bfloat16ToNumber(v)));
      return { ok: { field: 'int32_data', values, byteLength: n * 2, bytes: () => le(n, 2, (dv, i) => dv.setUint16(i * 2, src[i] & 0xffff, true)) } };
    }
    case 'float8e4m3fn':
    case 'float8e4m3fnuz':
    case 'float8e5m2':
    case 'float8e5m2fnuz': {
      const values = Float32Array.from(src, (v) => float8ToNumber(v, dtype));
      return { ok: { field: 'int32_data', values, byteLength: n, bytes: () => Uint8Array.from(src, (v) => v & 0xff) } };
    }
    default:
      return { problem: `int32_data is not a valid field for ${dtype} tensors` };
  }
}

/** Writes n elements of `width` bytes each through a DataView (explicit little-endian, whatever the host). */
function le(n: number, width: number, put: (dv: DataView, i: number) => void): Uint8Array {
  const out = new Uint8Array(n * width);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) put(dv, i);
  return out;
}
