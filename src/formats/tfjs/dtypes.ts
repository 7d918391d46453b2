import type { DType } from '../../model/dtype';

/** Manifest dtypes TF.js writes (tfjs-core `DataType` plus the float16 some converters emit). */
const MANIFEST_DTYPES: Readonly<Record<string, DType>> = {
  float32: 'float32',
  float16: 'float16',
  int32: 'int32',
  bool: 'bool',
  string: 'string',
  complex64: 'complex64',
  // Not written by tfjs-core but seen in hand-made or newer manifests; sizes are unambiguous.
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  float64: 'float64',
  int64: 'int64',
};

export function manifestDType(s: unknown): DType | undefined {
  return typeof s === 'string' ? MANIFEST_DTYPES[s] : undefined;
}

/** GraphDef `DataType` enum names as the converter writes them in JSON ("DT_FLOAT"). */
const GRAPH_DTYPES: Readonly<Record<string, DType>> = {
  DT_FLOAT: 'float32',
  DT_DOUBLE: 'float64',
  DT_HALF: 'float16',
  DT_BFLOAT16: 'bfloat16',
  DT_INT8: 'int8',
  DT_UINT8: 'uint8',
  DT_INT16: 'int16',
  DT_UINT16: 'uint16',
  DT_INT32: 'int32',
  DT_UINT32: 'uint32',
  DT_INT64: 'int64',
  DT_UINT64: 'uint64',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
  DT_COMPLEX128: 'complex128',
};

/** Proto3 JSON may spell an enum by name or by number; the numbers follow tensorflow/core/framework/types.proto. */
const GRAPH_DTYPE_NUMBERS: readonly (string | undefined)[] = [
  undefined, 'DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_UINT8', 'DT_INT16', 'DT_INT8', 'DT_STRING', 'DT_COMPLEX64',
  'DT_INT64', 'DT_BOOL', undefined, undefined, undefined, 'DT_BFLOAT16', undefined, undefined, 'DT_UINT16',
  'DT_COMPLEX128', 'DT_HALF', undefined, undefined, 'DT_UINT32', 'DT_UINT64',
];

export function graphDType(v: unknown): DType | undefined {
  const name = typeof v === 'number' ? GRAPH_DTYPE_NUMBERS[v] : v;
  return typeof name === 'string' ? GRAPH_DTYPES[name] : undefined;
}
