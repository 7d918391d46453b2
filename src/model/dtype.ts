// Element types shared by every format. Names follow numpy/onnxruntime spelling so users recognise them.
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz'
  | 'int4' | 'uint4'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string' | 'complex64' | 'complex128'
  | 'unknown';

/** Bytes per element; 0.5 for packed 4-bit types; undefined where size is not fixed (string, unknown). */
export const DTYPE_BYTES: Readonly<Record<DType, number | undefined>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2,
  float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1,
  int4: 0.5, uint4: 0.5,
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8,
  bool: 1, string: undefined, complex64: 8, complex128: 16,
  unknown: undefined,
};

export function isFloatDType(d: DType): boolean {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16' || d.startsWith('float8');
}
