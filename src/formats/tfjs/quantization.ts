import type { DType } from '../../model/dtype';
import type { Quantization, Tensor } from '../../model/tensor';
import { float16ToNumber } from '../../model/float-bits';

export type TfjsQuantization = Extract<Quantization, { kind: 'tfjs' }>;

/**
 * Reads a manifest entry's `quantization` object. Returns the IR form, or a problem string when the entry is
 * malformed (the weight still shows up, with the problem, instead of failing the whole model).
 */
export function parseQuantization(q: unknown): { quantization: TfjsQuantization } | { problem: string } {
  if (typeof q !== 'object' || q === null) return { problem: 'quantization is not an object' };
  const r = q as Record<string, unknown>;
  const dtype = r.dtype;
  if (dtype === 'float16') return { quantization: { kind: 'tfjs', dtype } };
  if (dtype !== 'uint8' && dtype !== 'uint16') {
    return { problem: `unknown quantization dtype ${JSON.stringify(dtype)} (expected uint8, uint16 or float16)` };
  }
  const num = (k: string): number | undefined => (typeof r[k] === 'number' && Number.isFinite(r[k]) ? (r[k] as number) : undefined);
  const scale = num('scale');
  const min = num('min');
  const offset = num('offset');
  if (scale === undefined) return { problem: `${dtype} quantization has no finite scale` };
  if (min !== undefined) return { quantization: { kind: 'tfjs', dtype, scale, min } };
  if (offset !== undefined) return { quantization: { kind: 'tfjs', dtype, scale, offset } };
  return { problem: `${dtype} quantization needs min or offset next to scale` };
}

export function storedBytesPerElement(q: TfjsQuantization): number {
  return q.dtype === 'uint8' ? 1 : 2;
}

/**
 * Turns a weight's STORED bytes (what its ByteSource returns) into real values: dequantizes uint8/uint16
 * (same arithmetic as tfjs-core: q * scale + min, rounded for int32 weights), decodes float16, and widens
 * plain int/bool storage. `bytes` may start at any offset (chunks); it must hold whole elements.
 */
export function dequantizeTfjs(bytes: Uint8Array, tensor: Pick<Tensor, 'dtype' | 'storedDType' | 'quantization' | 'name'>): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const q = tensor.quantization?.kind === 'tfjs' ? tensor.quantization : undefined;
  const stored: DType = q?.dtype ?? tensor.storedDType ?? tensor.dtype;
  const size = storedSize(stored, tensor.name);
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${tensor.name}: ${bytes.byteLength} bytes is not a whole number of ${stored} elements`);
  }
  const n = bytes.byteLength / size;
  const out = new Float32Array(n);
  const read = reader(view, stored);
  if (q && q.dtype !== 'float16') {
    const scale = q.scale ?? 1;
    const round = tensor.dtype === 'int32';
    if (q.min !== undefined) {
      const min = q.min;
      for (let i = 0; i < n; i++) {
        const v = read(i) * scale + min;
        out[i] = round ? Math.round(v) : v;
      }
    } else {
      const offset = q.offset ?? 0;
      for (let i = 0; i < n; i++) {
        const v = (read(i) - offset) * scale;
        out[i] = round ? Math.round(v) : v;
      }
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = read(i);
  }
  return out;
}

function storedSize(d: DType, name: string): number {
  switch (d) {
    case 'uint8': case 'int8': case 'bool': return 1;
    case 'uint16': case 'int16': case 'float16': return 2;
    case 'float32': case 'int32': return 4;
    default: throw new RangeError(`${name}: cannot decode ${d} values as numbers`);
  }
}

function reader(view: DataView, d: DType): (i: number) => number {
  switch (d) {
    case 'uint8': case 'bool': return (i) => view.getUint8(i);
    case 'int8': return (i) => view.getInt8(i);
    case 'uint16': return (i) => view.getUint16(i * 2, true);
    case 'int16': return (i) => view.getInt16(i * 2, true);
    case 'float16': return (i) => float16ToNumber(view.getUint16(i * 2, true));
    case 'int32': return (i) => view.getInt32(i * 4, true);
    default: return (i) => view.getFloat32(i * 4, true);
  }
}
