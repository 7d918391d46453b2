import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../model';
import { ModelError, isFloatDType } from '../../model';
import { fromLittleEndian, numberAt } from '../../formats/arrays/ndarray';
import type { NdArray } from '../../formats/arrays/ndarray';

// IR tensor → tfjs tensor: float types become float32, integer types int32 (clamped: int64 values past int32 are
// only "to the end" markers in shape math), bool stays bool.

export async function toTfTensor(t: Tensor, file: string): Promise<tf.Tensor> {
  if (t.dtype === 'string' || t.dtype === 'complex64' || t.dtype === 'complex128' || t.dtype === 'unknown') {
    throw new ModelError(file, `tensor "${t.name}" has type ${t.dtype}, which has no tfjs equivalent`);
  }
  const n = t.elementCount;
  const out = isFloatDType(t.dtype) ? new Float32Array(n) : t.dtype === 'bool' ? new Uint8Array(n) : new Int32Array(n);
  if (t.values) {
    const v = t.values as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[i] = clampTo(out, Number(v[i]));
  } else {
    if (!t.data) throw new ModelError(file, `tensor "${t.name}" has no data${t.problem ? ` (${t.problem})` : ''}`);
    const bytes = await t.data.read(0, t.data.byteLength);
    const data = fromLittleEndian(t.dtype, bytes, n);
    if (!data) throw new ModelError(file, `tensor "${t.name}" has type ${t.dtype}, which cannot be decoded`);
    const nd: NdArray = { dtype: t.dtype, shape: t.shape, data };
    for (let i = 0; i < n; i++) out[i] = clampTo(out, numberAt(nd, i));
  }
  const dtype = out instanceof Float32Array ? 'float32' : out instanceof Uint8Array ? 'bool' : 'int32';
  return tf.tensor(out, t.shape, dtype);
}

function clampTo(arr: Float32Array | Int32Array | Uint8Array, v: number): number {
  if (arr instanceof Int32Array) return Math.max(-2147483648, Math.min(2147483647, v));
  if (arr instanceof Uint8Array) return v ? 1 : 0;
  return v;
}
