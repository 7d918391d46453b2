import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { ByteSource, Tensor } from '../../model/tensor';
import { checkRange } from '../byte-sources';
import type { TensorRef } from './pickle-values';

/** A strided or byte-swapped tensor is gathered into memory on first read; past this it is shown but not read. */
const MAX_GATHER_BYTES = 1024 * 1024 * 1024;

export interface StorageBytes {
  /** The zip entry, for errors and the tensor's origin: "archive/data/3". */
  readonly entry: string;
  readonly source: ByteSource;
}

/**
 * One tensor as a view of its storage: shape, strides and storage offset picked out of the storage's bytes, in
 * row-major order (as torch's `tensor.contiguous()` would give them). A contiguous view is a plain sub-range of
 * the zip entry; a strided one (a transpose, `x[::3]`) or a big-endian archive is gathered on first read.
 */
export function tensorView(file: string, name: string, ref: TensorRef, storage: StorageBytes, bigEndian: boolean): Tensor {
  const stored = ref.storage.dtype;
  const size = DTYPE_BYTES[stored]!;
  const fail = (problem: string) => new ModelError(file, `tensor "${name}": ${problem}`);
  let count = 1;
  for (const d of ref.shape) {
    count *= d;
    if (!Number.isSafeInteger(count)) throw fail(`shape [${ref.shape.join(', ')}] has more elements than can be counted`);
  }
  // The last element the view touches, in elements from the start of the storage.
  let last = ref.offset;
  for (let i = 0; i < ref.shape.length; i++) if (ref.shape[i] > 0) last += (ref.shape[i] - 1) * ref.stride[i];
  const needed = count === 0 ? 0 : (last + 1) * size;
  if (!Number.isSafeInteger(needed)) throw fail(`its view of storage ${ref.storage.key} is out of range`);
  if (needed > storage.source.byteLength) {
    throw fail(`needs bytes up to ${needed} of storage ${storage.entry}, which holds ${storage.source.byteLength} (storage offset ${ref.offset}, shape [${ref.shape.join(', ')}], stride [${ref.stride.join(', ')}])`);
  }
  const byteLength = count * size;
  const what = `tensor "${name}"`;
  const base = ref.offset * size;
  const q = quantizationOf(ref);
  const common = {
    name,
    dtype: q ? 'float32' as const : stored,
    ...(q ? { storedDType: stored, quantization: q } : {}),
    shape: [...ref.shape],
    elementCount: count,
    location: 'inline' as const,
    origin: `${storage.entry} @ ${base}`,
  };
  const contiguous = isContiguous(ref.shape, ref.stride);
  const gathered = Math.max(byteLength, needed - base);
  if (gathered > MAX_GATHER_BYTES && (!contiguous || (bigEndian && size > 1))) {
    return { ...common, problem: `a ${contiguous ? 'big-endian' : 'strided'} tensor spanning ${gathered} bytes of its storage is not read (the limit is ${MAX_GATHER_BYTES})` };
  }
  if (contiguous && !(bigEndian && size > 1)) {
    const src = storage.source;
    return {
      ...common,
      data: {
        byteLength,
        read: (offset, length) => {
          try {
            checkRange(file, what, byteLength, offset, length);
          } catch (e) {
            return Promise.reject(e);
          }
          return src.read(base + offset, length);
        },
      },
    };
  }
  return { ...common, data: gatheredSource(file, what, ref, size, storage.source, bigEndian, needed) };
}

/** Row-major strides, ignoring dimensions of size 1 (their stride never matters). */
function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

function gatheredSource(file: string, what: string, ref: TensorRef, size: number, src: ByteSource, bigEndian: boolean, end: number): ByteSource {
  const count = ref.shape.reduce((a, b) => a * b, 1);
  const byteLength = count * size;
  let built: Promise<Uint8Array> | undefined;
  const build = async () => {
    const first = ref.offset * size;
    const span = await src.read(first, end - first);
    const out = new Uint8Array(byteLength);
    const rank = ref.shape.length;
    const index = new Array<number>(rank).fill(0);
    let from = 0; // element offset within the span
    for (let e = 0; e < count; e++) {
      const s = from * size;
      const d = e * size;
      if (bigEndian) for (let b = 0; b < size; b++) out[d + b] = span[s + (size - 1 - b)];
      else for (let b = 0; b < size; b++) out[d + b] = span[s + b];
      // Odometer step over the index, last dimension fastest.
      for (let k = rank - 1; k >= 0; k--) {
        index[k]++;
        from += ref.stride[k];
        if (index[k] < ref.shape[k]) break;
        from -= ref.stride[k] * ref.shape[k];
        index[k] = 0;
      }
    }
    return out;
  };
  return {
    byteLength,
    async read(offset, length) {
      checkRange(file, what, byteLength, offset, length);
      built ??= build();
      try {
        return (await built).subarray(offset, offset + length);
      } catch (e) {
        built = undefined;
        throw e;
      }
    },
  };
}

/**
 * Per-tensor affine quantization (qint8/quint8/qint32) as the stats module applies it. A quantized tensor's dtype
 * is float32 (its real values) over its stored integers; per-channel parameters are filled in by quantized.ts.
 */
function quantizationOf(ref: TensorRef): Tensor['quantization'] {
  const q = ref.quantization;
  if (!q || q.scale === undefined || !Number.isFinite(q.scale)) return undefined;
  return { kind: 'affine', scale: [q.scale], zeroPoint: [Number.isFinite(q.zeroPoint) ? q.zeroPoint! : 0] };
}
