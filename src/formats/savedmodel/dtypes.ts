import type { DType } from '../../model/dtype';

/** TensorFlow's DataType enum (core/framework/types.proto) by number; quantized types show their stored integers. */
const TF_DTYPES: Readonly<Record<number, DType>> = {
  1: 'float32', 2: 'float64', 3: 'int32', 4: 'uint8', 5: 'int16', 6: 'int8', 7: 'string', 8: 'complex64',
  9: 'int64', 10: 'bool', 11: 'int8', 12: 'uint8', 13: 'int32', 14: 'bfloat16', 15: 'int16', 16: 'uint16',
  17: 'uint16', 18: 'complex128', 19: 'float16', 22: 'uint32', 23: 'uint64', 24: 'float8e5m2', 25: 'float8e4m3fn',
};

/** DT_RESOURCE and DT_VARIANT: handles, not data. */
export const DT_STRING = 7;
export const DT_RESOURCE = 20;
export const DT_VARIANT = 21;

/** `*_REF` types (the number plus 100) are references to the same element type. */
export function tfDType(n: unknown): DType | undefined {
  if (typeof n !== 'number') return undefined;
  return TF_DTYPES[n > 100 ? n - 100 : n];
}

export function tfDTypeName(n: unknown): string {
  const names: Record<number, string> = { 0: 'DT_INVALID', 20: 'DT_RESOURCE', 21: 'DT_VARIANT', 29: 'DT_INT4', 30: 'DT_UINT4' };
  return tfDType(n) ?? names[Number(n)] ?? `DataType ${String(n)}`;
}
