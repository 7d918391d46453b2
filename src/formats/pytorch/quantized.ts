import { ModelError } from '../../model/errors';
import type { Quantization } from '../../model/tensor';
import type { TensorRef } from './pickle-values';
import { tensorView, type StorageBytes } from './storage-views';

/** Per-channel parameters are one value per channel; more than this is not a quantizer. */
const MAX_CHANNELS = 1 << 16;

/**
 * The affine quantization of a per-channel quantized tensor (torch.quantize_per_channel): its scales (float64) and
 * zero points (int64) are small tensors of their own, read at open because the Quantization carries numbers.
 */
export async function perChannelQuantization(
  file: string,
  name: string,
  ref: TensorRef,
  storage: (r: TensorRef) => StorageBytes,
  bigEndian: boolean,
): Promise<Quantization | undefined> {
  const q = ref.quantization;
  if (!q?.scales || !q.zeroPoints || q.axis === undefined || !Number.isInteger(q.axis)) return undefined;
  const scales = await values(file, `${name} (scales)`, q.scales, storage(q.scales), bigEndian);
  const zeroPoints = await values(file, `${name} (zero points)`, q.zeroPoints, storage(q.zeroPoints), bigEndian);
  if (scales.length !== zeroPoints.length || scales.length !== ref.shape[q.axis]) {
    throw new ModelError(file, `tensor "${name}": ${scales.length} scales and ${zeroPoints.length} zero points for ${ref.shape[q.axis] ?? 'no'} channels on axis ${q.axis}`);
  }
  return { kind: 'affine', scale: scales, zeroPoint: zeroPoints, axis: q.axis };
}

async function values(file: string, name: string, ref: TensorRef, storage: StorageBytes, bigEndian: boolean): Promise<number[]> {
  const t = tensorView(file, name, ref, storage, bigEndian);
  if (t.elementCount > MAX_CHANNELS || !t.data) throw new ModelError(file, `tensor "${name}" cannot be read as quantizer parameters`);
  const b = await t.data.read(0, t.data.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at: Partial<Record<string, (i: number) => number>> = {
    float64: (i) => dv.getFloat64(i * 8, true),
    float32: (i) => dv.getFloat32(i * 4, true),
    int64: (i) => Number(dv.getBigInt64(i * 8, true)),
    int32: (i) => dv.getInt32(i * 4, true),
  };
  const get = at[t.dtype];
  if (!get) throw new ModelError(file, `tensor "${name}" is ${t.dtype}, not a quantizer parameter type`);
  return Array.from({ length: t.elementCount }, (_, i) => get(i));
}
