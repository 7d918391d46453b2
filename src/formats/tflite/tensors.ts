import type { DType } from '../../model/dtype';
import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { Dim } from '../../model/shape';
import type { Quantization, Tensor } from '../../model/tensor';
import type { FileRegions } from '../file-regions';
import { checked } from './flatbuffer';
import * as fb from './schema/tflite_generated';

/** TFLite TensorType → the IR's dtype; RESOURCE and VARIANT handles have no element type of their own. */
const DTYPES: Record<number, DType> = {
  [fb.TensorType.FLOAT32]: 'float32', [fb.TensorType.FLOAT16]: 'float16', [fb.TensorType.INT32]: 'int32',
  [fb.TensorType.UINT8]: 'uint8', [fb.TensorType.INT64]: 'int64', [fb.TensorType.STRING]: 'string',
  [fb.TensorType.BOOL]: 'bool', [fb.TensorType.INT16]: 'int16', [fb.TensorType.COMPLEX64]: 'complex64',
  [fb.TensorType.INT8]: 'int8', [fb.TensorType.FLOAT64]: 'float64', [fb.TensorType.COMPLEX128]: 'complex128',
  [fb.TensorType.UINT64]: 'uint64', [fb.TensorType.UINT32]: 'uint32', [fb.TensorType.UINT16]: 'uint16',
  [fb.TensorType.INT4]: 'int4', [fb.TensorType.BFLOAT16]: 'bfloat16',
};

export function dtypeOf(type: number): DType {
  return DTYPES[type] ?? 'unknown';
}

/** Where a buffer's bytes are in the file: a vector inside the flatbuffer, or offset/size past it (models over 2 GB). */
export interface BufferPlace {
  start: number;
  length: number;
  external: boolean;
}

/** The static shape of a tensor (dims must be ≥ 0) and, from shape_signature, the shape with -1 as unknown (null). */
export function shapesOf(file: string, t: fb.Tensor, what: string): { shape: number[]; signature: Dim[] } {
  const shape = Array.from(checked(file, `${what} shape`, () => t.shapeArray()) ?? []);
  const sig = checked(file, `${what} shape_signature`, () => t.shapeSignatureArray());
  if (shape.some((d) => d < 0)) throw new ModelError(file, `${what} has a negative dimension in its shape [${shape.join(', ')}]`);
  const signature: Dim[] = sig && sig.length === shape.length ? Array.from(sig, (d, i) => (d < 0 ? null : shape[i])) : shape;
  return { shape, signature };
}

/**
 * Affine parameters of an integer tensor: real = (q - zero_point) * scale, per tensor or along quantized_dimension.
 * Returns a warning instead when the parameters do not fit the tensor (they are then not applied).
 */
export function quantizationOf(file: string, t: fb.Tensor, dtype: DType, shape: number[], what: string): { q?: Quantization; warning?: string } {
  const qp = checked(file, `${what} quantization`, () => t.quantization());
  if (!qp) return {};
  const scale = Array.from(checked(file, `${what} quantization scale`, () => qp.scaleArray()) ?? []);
  if (!scale.length) return {};
  if (checked(file, `${what} quantization details`, () => qp.detailsType()) !== fb.QuantizationDetails.NONE) {
    return { warning: `${what}: custom or blockwise quantization is not decoded; values shown as stored` };
  }
  if (!/^u?int(4|8|16|32|64)$/.test(dtype)) return {};
  const zpCount = checked(file, `${what} quantization zero_point`, () => qp.zeroPointLength());
  if (zpCount !== 0 && zpCount !== scale.length) return { warning: `${what}: ${scale.length} scales but ${zpCount} zero points; values shown as stored` };
  const zeroPoint = scale.map((_, i) => (zpCount ? Number(checked(file, `${what} zero_point`, () => qp.zeroPoint(i)) ?? 0n) : 0));
  if (scale.length === 1) return { q: { kind: 'affine', scale, zeroPoint } };
  const axis = checked(file, `${what} quantized_dimension`, () => qp.quantizedDimension());
  if (axis < 0 || axis >= shape.length || shape[axis] !== scale.length) {
    return { warning: `${what}: ${scale.length} per-axis scales do not match dimension ${axis} of [${shape.join(', ')}]; values shown as stored` };
  }
  return { q: { kind: 'affine', scale, zeroPoint, axis } };
}

/** Element count of a static shape; refuses one beyond 2^53 (no real tensor is, and the sum would lose exactness). */
export function elementCountOf(file: string, shape: number[], what: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) throw new ModelError(file, `${what} has an absurd shape [${shape.join(', ')}]`);
  return n;
}

/** A weight: a tensor whose buffer holds data (a sparse one's compressed values: see sparsity.ts). The bytes stay in the file until read. */
export function weightTensor(regions: FileRegions, name: string, dtype: DType, shape: number[], place: BufferPlace, q: Quantization | undefined, sparse: boolean, what: string): Tensor {
  const elementCount = elementCountOf(regions.file, shape, what);
  const data = regions.region(place.start, place.length, `${what} buffer`);
  const origin = `${place.external ? 'after the flatbuffer' : 'buffer'} @ ${place.start}`;
  const per = DTYPE_BYTES[dtype];
  let problem: string | undefined;
  // A sparse tensor's buffer holds only its stored values: sparsity.ts checks their count against its parameters.
  if (!sparse && per !== undefined && Math.ceil(elementCount * per) !== place.length) {
    problem = `buffer holds ${place.length} bytes but ${dtype}[${shape.join(', ')}] needs ${Math.ceil(elementCount * per)}`;
  }
  return {
    name, dtype, shape, elementCount,
    location: place.external ? 'external' : 'inline',
    origin,
    ...(q ? { quantization: q } : {}),
    data,
    ...(problem ? { problem } : {}),
  };
}
