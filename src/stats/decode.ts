import type { DType } from '../model/dtype';
import type { Quantization } from '../model/tensor';
import { float16ToNumber } from '../model/float-bits';

/**
 * Stored bytes -> numbers for every numeric dtype, into a caller-owned Float64Array so that a scan allocates
 * nothing per element. Little-endian storage (ONNX, TF.js) on a little-endian host is assumed, as typed arrays do.
 */

/** Bytes per stored element; 0.5 for packed 4-bit types; undefined for types stats cannot read. */
export function storedBytes(d: DType): number | undefined {
  switch (d) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'bfloat16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool':
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': return 1;
    case 'int4': case 'uint4': return 0.5;
    default: return undefined;
  }
}

let f16Table: Float32Array | undefined;
let bf16Table: Float32Array | undefined;
const f8Tables = new Map<DType, Float64Array>();

function float16Table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = float16ToNumber(h);
  }
  return f16Table;
}

function bfloat16Table(): Float32Array {
  if (!bf16Table) {
    // bfloat16 is the top half of a float32, so the table is just a reinterpretation.
    const u = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) u[h] = h << 16;
    bf16Table = new Float32Array(u.buffer);
  }
  return bf16Table;
}

/** The float32 value of every float16 or bfloat16 pattern (what decodeHalfFloats writes). */
export function halfFloatTable(d: 'float16' | 'bfloat16'): Float32Array {
  return d === 'float16' ? float16Table() : bfloat16Table();
}

/** 8-bit floats (OCP FP8 / the ONNX "fnuz" variants): E exponent, M mantissa bits, bias B, plus each type's NaN/Inf codes. */
function float8Table(d: DType): Float64Array {
  let t = f8Tables.get(d);
  if (t) return t;
  t = new Float64Array(256);
  const [E, M, B] = d === 'float8e4m3fn' ? [4, 3, 7] : d === 'float8e4m3fnuz' ? [4, 3, 8] : d === 'float8e5m2' ? [5, 2, 15] : [5, 2, 16];
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const e = (b >> M) & ((1 << E) - 1);
    const m = b & ((1 << M) - 1);
    let v = e === 0 ? sign * m * 2 ** (1 - B - M) : sign * (1 + m / (1 << M)) * 2 ** (e - B);
    if (d === 'float8e4m3fn' && (b & 0x7f) === 0x7f) v = NaN;
    if ((d === 'float8e4m3fnuz' || d === 'float8e5m2fnuz') && b === 0x80) v = NaN;
    if (d === 'float8e5m2' && e === 31) v = m ? NaN : sign * Infinity;
    t[b] = v;
  }
  f8Tables.set(d, t);
  return t;
}

/** An aligned copy of `bytes` when its offset does not suit a typed-array view of `align` bytes. */
export function aligned(bytes: Uint8Array, align: number, scratch: Uint8Array): Uint8Array {
  if (bytes.byteOffset % align === 0) return bytes;
  const out = scratch.subarray(0, bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Decodes `count` stored elements of `bytes` into out[0..count). `scratch` (at least bytes.length) is used
 * when the bytes are not aligned for a typed view.
 */
export function decodeBytes(d: DType, bytes: Uint8Array, out: Float64Array, count: number, scratch: Uint8Array): void {
  const size = storedBytes(d);
  const b = size && size >= 2 ? aligned(bytes, size, scratch) : bytes;
  const buf = b.buffer;
  const off = b.byteOffset;
  switch (d) {
    case 'float32': { const a = new Float32Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'float64': out.set(new Float64Array(buf, off, count)); return;
    case 'float16': { const a = new Uint16Array(buf, off, count); const t = float16Table(); for (let i = 0; i < count; i++) out[i] = t[a[i]]; return; }
    case 'bfloat16': { const a = new Uint16Array(buf, off, count); const t = bfloat16Table(); for (let i = 0; i < count; i++) out[i] = t[a[i]]; return; }
    case 'int8': { const a = new Int8Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'uint8': { for (let i = 0; i < count; i++) out[i] = b[i]; return; }
    case 'bool': { for (let i = 0; i < count; i++) out[i] = b[i] ? 1 : 0; return; }
    case 'int16': { const a = new Int16Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'uint16': { const a = new Uint16Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'int32': { const a = new Int32Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'uint32': { const a = new Uint32Array(buf, off, count); for (let i = 0; i < count; i++) out[i] = a[i]; return; }
    case 'int64': case 'uint64': {
      // Two 32-bit halves instead of BigInt64Array: exact up to 2^53, and no BigInt per element.
      const a = new Int32Array(buf, off, count * 2);
      const signed = d === 'int64';
      for (let i = 0; i < count; i++) out[i] = (signed ? a[2 * i + 1] : a[2 * i + 1] >>> 0) * 4294967296 + (a[2 * i] >>> 0);
      return;
    }
    case 'int4': case 'uint4': {
      // Two elements per byte, low nibble first (ONNX packing).
      const signed = d === 'int4';
      for (let i = 0; i < count; i++) {
        const nib = (b[i >> 1] >> ((i & 1) * 4)) & 0xf;
        out[i] = signed ? (nib << 28) >> 28 : nib;
      }
      return;
    }
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': {
      const t = float8Table(d);
      for (let i = 0; i < count; i++) out[i] = t[b[i]];
      return;
    }
    default:
      throw new Error(`cannot decode ${d}`);
  }
}

/**
 * float16/bfloat16 → float32 through the lookup tables, so the scan can take its float32 path (the values are
 * exact in float32). `scratch` as for decodeBytes.
 */
export function decodeHalfFloats(d: 'float16' | 'bfloat16', bytes: Uint8Array, out: Float32Array, count: number, scratch: Uint8Array): void {
  const b = aligned(bytes, 2, scratch);
  const a = new Uint16Array(b.buffer, b.byteOffset, count);
  const t = d === 'float16' ? float16Table() : bfloat16Table();
  for (let i = 0; i < count; i++) out[i] = t[a[i]];
}

/** Copies already-decoded values (ONNX typed fields) into out. */
export function decodeValues(values: ArrayLike<number> | ArrayLike<bigint>, start: number, out: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) out[i] = Number(values[start + i]);
}

/**
 * Stored integers -> real values in place. `first` is the element index of out[0] in the tensor, which fixes the
 * channel of per-axis scales; `inner` is the product of the dims after the quantization axis.
 */
export function dequantize(q: Quantization, out: Float64Array, count: number, first: number, shape: readonly number[]): void {
  if (q.kind === 'tfjs') {
    if (q.dtype === 'float16') return; // stored as half floats: decoding already gave the real values
    const scale = q.scale ?? 1;
    if (q.min !== undefined) for (let i = 0; i < count; i++) out[i] = out[i] * scale + q.min;
    else { const off = q.offset ?? 0; for (let i = 0; i < count; i++) out[i] = (out[i] - off) * scale; }
    return;
  }
  if (q.kind === 'ggml') throw new Error('GGML blocks are dequantized by scanTensor, not element by element');
  const { scale, zeroPoint } = q;
  if (scale.length <= 1) {
    const s = scale[0] ?? 1;
    const z = zeroPoint[0] ?? 0;
    for (let i = 0; i < count; i++) out[i] = (out[i] - z) * s;
    return;
  }
  const rank = shape.length;
  const axis = q.axis === undefined ? 1 : q.axis < 0 ? q.axis + rank : q.axis;
  let inner = 1;
  for (let a = axis + 1; a < rank; a++) inner *= shape[a];
  const dim = scale.length;
  let c = Math.floor(first / inner) % dim;
  let left = inner - (first % inner);
  for (let i = 0; i < count; i++) {
    out[i] = (out[i] - (zeroPoint[c] ?? 0)) * scale[c];
    if (--left === 0) {
      left = inner;
      c = c + 1 === dim ? 0 : c + 1;
    }
  }
}
