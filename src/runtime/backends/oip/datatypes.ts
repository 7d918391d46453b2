import type { DType } from '../../../model/dtype';

// The protocol's tensor datatypes (inference_rest.md, "Tensor Data Types"; BF16 from the gRPC protocol and Triton)
// and the element types our arrays use for them.

export const OIP_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES'] as const;
export type OipDatatype = (typeof OIP_DATATYPES)[number];

const TO_DTYPE: Record<OipDatatype, DType> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64',
  INT8: 'int8', INT16: 'int16', INT32: 'int32', INT64: 'int64',
  FP16: 'float16', BF16: 'bfloat16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};

const FROM_DTYPE = new Map<DType, OipDatatype>(Object.entries(TO_DTYPE).map(([k, v]) => [v, k as OipDatatype]));

export function isOipDatatype(x: unknown): x is OipDatatype {
  return typeof x === 'string' && (OIP_DATATYPES as readonly string[]).includes(x);
}

export function dtypeOf(d: OipDatatype): DType {
  return TO_DTYPE[d];
}

/** The protocol's name for an element type, or undefined for types it has none for (float8, int4, complex). */
export function oipDatatypeOf(d: DType): OipDatatype | undefined {
  return FROM_DTYPE.get(d);
}

/** Bytes per element on the wire; undefined for BYTES (each element carries its own length). */
export function wireBytes(d: OipDatatype): number | undefined {
  switch (d) {
    case 'BOOL': case 'UINT8': case 'INT8': return 1;
    case 'UINT16': case 'INT16': case 'FP16': case 'BF16': return 2;
    case 'UINT32': case 'INT32': case 'FP32': return 4;
    case 'UINT64': case 'INT64': case 'FP64': return 8;
    case 'BYTES': return undefined;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A number as bfloat16 bits, rounded to nearest even (NaN stays a quiet NaN). */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if (Number.isNaN(x)) return 0x7fc0;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}
