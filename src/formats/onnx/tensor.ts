import { DTYPE_BYTES, type DType } from '../../model/dtype';
import { formatShape } from '../../model/shape';
import type { Tensor, TensorLocation } from '../../model/tensor';
import type { onnx } from 'onnx-proto';
import type { ExternalData } from './external-data';
import type { OnnxImage } from './lazy-payloads';
import { lazySource, memorySource } from '../byte-sources';
import { readTypedFields } from './typed-data';
import { int64Value, onnxDType, type Int64 } from './types';

/**
 * What tensor conversion needs from the reader: the file name (for errors), the model's external data, and the
 * file's image when big raw_data payloads were left on disk.
 */
export interface TensorContext {
  readonly file: string;
  readonly external: ExternalData;
  readonly image?: OnnxImage;
}

/** A Tensor while it is being built; external data settles after the graph is mapped. */
export type TensorDraft = { -readonly [K in keyof Tensor]: Tensor[K] };

/** Declared sizes above this are treated as corrupt: no real tensor has 10^12 elements, and we never allocate them. */
export const MAX_ELEMENTS = 2 ** 40;

const DATA_LOCATION_EXTERNAL = 1;

/** Bytes that `count` elements of `dtype` take; undefined where the size is not fixed (string, unknown). */
export function bytesFor(dtype: DType, count: number): number | undefined {
  const w = DTYPE_BYTES[dtype];
  if (w === undefined) return undefined;
  return w === 0.5 ? Math.ceil(count / 2) : count * w;
}

/** dims → shape and element count, or the problem with them (negative, not an integer, absurdly large). */
export function checkedDims(dims: readonly (number | Int64)[] | null | undefined): { shape: number[]; elementCount: number; problem?: string } {
  const shape: number[] = [];
  let problem: string | undefined;
  let count = 1;
  for (const d of dims ?? []) {
    const v = int64Value(d as Int64);
    const n = typeof v === 'number' ? v : Number(v);
    shape.push(n);
    if (typeof v !== 'number') problem ??= `dimension ${v} is too large`;
    else if (n < 0) problem ??= `has a negative dimension (${n})`;
    count *= n;
  }
  if (!problem && count > MAX_ELEMENTS) problem = `declares ${count} elements (shape ${formatShape(shape)}), more than 2^40: the file is corrupt`;
  return { shape, elementCount: problem ? 0 : count, problem };
}

/** TensorProto → IR Tensor with a lazy ByteSource. Never allocates what the file merely declares. */
export function convertTensor(tp: onnx.ITensorProto, ctx: TensorContext, name: string, location: TensorLocation = 'inline'): Tensor {
  const dtype = onnxDType(tp.dataType);
  const dims = checkedDims(tp.dims);
  const t: TensorDraft = { name, dtype, shape: dims.shape, elementCount: dims.elementCount, location };
  if (dims.problem) {
    t.problem = dims.problem;
    return t;
  }
  if (dtype === 'unknown') {
    t.problem = `has an unknown data type (${tp.dataType ?? 'none'})`;
    return t;
  }
  const expected = bytesFor(dtype, t.elementCount);

  if (tp.dataLocation === DATA_LOCATION_EXTERNAL) {
    t.location = 'external';
    ctx.external.add(name, tp.externalData ?? [], expected, (r) => {
      if ('problem' in r) t.problem = r.problem.replace(`tensor '${name}': `, '');
      else {
        t.data = r.data;
        t.origin = r.origin;
      }
    });
    return t;
  }

  const raw = tp.rawData;
  if (raw && raw.byteLength > 0) {
    if (expected === undefined) t.problem = `stores ${dtype} values in raw_data, which ONNX does not allow`;
    else if (raw.byteLength !== expected) {
      t.problem = `raw_data has ${raw.byteLength} bytes, expected ${expected} for ${dtype} ${formatShape(t.shape)}`;
    } else {
      t.data = ctx.image?.source(raw, `tensor '${name}'`) ?? memorySource(ctx.file, `tensor '${name}'`, raw);
      t.origin = 'raw_data';
    }
    return t;
  }

  const typed = readTypedFields(tp, dtype, t.elementCount);
  if (typed && 'problem' in typed) t.problem = typed.problem;
  else if (typed) {
    t.values = typed.ok.values;
    t.origin = typed.ok.field;
    const bytes = typed.ok.bytes;
    if (bytes) t.data = lazySource(ctx.file, `tensor '${name}'`, typed.ok.byteLength, bytes);
  } else if (t.elementCount === 0) {
    t.data = memorySource(ctx.file, `tensor '${name}'`, new Uint8Array(0));
  } else if (dtype !== 'string') {
    t.problem = `has no data (no raw_data, typed values or external data) for ${t.elementCount} elements`;
  }
  return t;
}
