import type { DType } from '../../model/dtype';
import type { Dim, Shape } from '../../model/shape';
import type { onnx } from 'onnx-proto';

/** protobufjs hands int64 fields over as `Long` objects (when the `long` package is present) or plain numbers. */
export type Int64 = number | { low: number; high: number; unsigned: boolean; toString(): string };

const TWO_32 = 4294967296;

/**
 * An int64 as a number when it fits a double exactly, else its decimal string (IR rule for attribute ints).
 * Long.toNumber() would silently round 2^53+1, so we check the range first.
 */
export function int64Value(v: Int64 | null | undefined): number | string {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const n = v.unsigned ? (v.high >>> 0) * TWO_32 + (v.low >>> 0) : v.high * TWO_32 + (v.low >>> 0);
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** An int64 as a number, or undefined when it does not fit a safe integer (callers turn that into a problem). */
export function int64Safe(v: Int64 | null | undefined): number | undefined {
  const x = int64Value(v);
  return typeof x === 'number' ? x : undefined;
}

/** An int64 as a bigint (exact), for int64/uint64 tensor values. */
export function int64Big(v: Int64, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? big : BigInt.asIntN(64, big);
}

/** ONNX TensorProto.DataType codes → IR dtype. The bundled proto stops at 16; newer codes arrive as plain ints. */
const ONNX_DTYPES: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128',
  16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz',
  21: 'uint4', 22: 'int4',
};

export function onnxDType(code: number | null | undefined): DType {
  return (code !== null && code !== undefined && ONNX_DTYPES[code]) || 'unknown';
}

/** The ONNX spelling of an element type, for type attributes and messages ("tensor(float)"). */
const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4',
};

function elemName(code: number | null | undefined): string {
  return (code !== null && code !== undefined && ONNX_TYPE_NAMES[code]) || 'undefined';
}

export function shapeOf(shape: onnx.ITensorShapeProto | null | undefined): Shape {
  if (!shape) return undefined;
  return (shape.dim ?? []).map((d): Dim => {
    if (d.dimValue !== null && d.dimValue !== undefined) {
      const n = int64Value(d.dimValue as Int64);
      // A dim that does not fit a safe integer is as good as unknown to every consumer.
      return typeof n === 'number' ? n : null;
    }
    if (typeof d.dimParam === 'string' && d.dimParam !== '') return d.dimParam;
    return null;
  });
}

/** dtype and shape of a value's type; undefined fields for non-tensor types (sequence, map, optional). */
export function tensorTypeOf(t: onnx.ITypeProto | null | undefined): { dtype?: DType; shape?: Shape } {
  const tt = t?.tensorType ?? t?.sparseTensorType;
  if (!tt) return {};
  return { dtype: onnxDType(tt.elemType), shape: shapeOf(tt.shape) };
}

/** ONNX-style type text: "tensor(float)", "seq(tensor(int64))", "map(string,tensor(float))", "optional(…)". */
export function typeString(t: onnx.ITypeProto | null | undefined, depth = 0): string {
  if (!t || depth > 32) return 'unknown';
  if (t.tensorType) return `tensor(${elemName(t.tensorType.elemType)})`;
  if (t.sparseTensorType) return `sparse_tensor(${elemName(t.sparseTensorType.elemType)})`;
  if (t.sequenceType) return `seq(${typeString(t.sequenceType.elemType, depth + 1)})`;
  if (t.mapType) return `map(${elemName(t.mapType.keyType)},${typeString(t.mapType.valueType, depth + 1)})`;
  if (t.optionalType) return `optional(${typeString(t.optionalType.elemType, depth + 1)})`;
  return 'unknown';
}
