import type { AttributeValue } from '../../model/graph';
import type { Dim, Shape } from '../../model/shape';
import type { Tensor } from '../../model/tensor';
import { DTYPE_BYTES } from '../../model/dtype';
import { graphDType } from './dtypes';
import { isObj } from './keras-config';
import { float16ToNumber } from '../../model/float-bits';

/** A TensorShapeProto in proto3 JSON: `{dim: [{size: "-1"}, ...], unknownRank}`; -1 → null (unknown). */
export function protoShape(v: unknown): Shape {
  if (!isObj(v) || v.unknownRank === true) return undefined;
  const dims = Array.isArray(v.dim) ? v.dim : [];
  return dims.map((d): Dim => {
    const size = isObj(d) ? Number(d.size ?? 0) : NaN;
    return Number.isFinite(size) && size >= 0 ? size : null;
  });
}

/** Proto3 JSON writes int64 as strings; keep the string only when a double would not hold it exactly. */
function int64(v: unknown): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : String(v);
}

function float(v: unknown): number {
  return typeof v === 'number' ? v : Number(v); // "NaN" / "Infinity" arrive as strings
}

/** Attribute `s` values are base64 bytes; most are text (padding, data_format), so show them as text when they are. */
function bytesText(v: unknown): string {
  const buf = Buffer.from(String(v ?? ''), 'base64');
  const text = buf.toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? text : `base64:${String(v)}`;
}

/** One AttrValue (proto3 JSON) → IR attribute value. `owner` names inline tensors. */
export function attrValue(v: unknown, owner: string): AttributeValue {
  if (!isObj(v)) return { type: 'json', value: v };
  if ('type' in v) return { type: 'type', value: graphDType(v.type) ?? String(v.type) };
  if ('i' in v) return { type: 'int', value: int64(v.i) };
  if ('f' in v) return { type: 'float', value: float(v.f) };
  if ('s' in v) return { type: 'string', value: bytesText(v.s) };
  if ('b' in v) return { type: 'json', value: v.b === true };
  if ('shape' in v) {
    const s = protoShape(v.shape);
    return s ? { type: 'ints', value: s.map((d) => (d === null ? -1 : d)) } : { type: 'json', value: 'unknown rank' };
  }
  if ('tensor' in v) return { type: 'tensor', value: inlineTensor(v.tensor, owner) };
  if ('func' in v) return { type: 'string', value: isObj(v.func) ? String(v.func.name ?? '') : '' };
  if ('placeholder' in v) return { type: 'ref', value: String(v.placeholder) };
  if (isObj(v.list)) {
    const l = v.list;
    if (Array.isArray(l.i)) return { type: 'ints', value: l.i.map(int64) };
    if (Array.isArray(l.f)) return { type: 'floats', value: l.f.map(float) };
    if (Array.isArray(l.s)) return { type: 'strings', value: l.s.map(bytesText) };
    if (Array.isArray(l.type)) return { type: 'strings', value: l.type.map((t) => graphDType(t) ?? String(t)) };
    if (Array.isArray(l.shape)) return { type: 'json', value: l.shape.map((s) => protoShape(s) ?? null) };
    if (Array.isArray(l.tensor)) return { type: 'tensors', value: l.tensor.map((t, i) => inlineTensor(t, `${owner}[${i}]`)) };
    return { type: 'ints', value: [] };
  }
  return { type: 'json', value: v };
}

/**
 * A TensorProto kept inside the graph JSON (Const nodes the converter did not move to the manifest).
 * `tensorContent` is raw little-endian bytes; the typed `*Val` lists may hold one value meaning "fill".
 */
export function inlineTensor(v: unknown, name: string): Tensor {
  const t = isObj(v) ? v : {};
  const dtype = graphDType(t.dtype) ?? 'unknown';
  const shapeDims = protoShape(t.tensorShape) ?? [];
  const shape = shapeDims.map((d) => (typeof d === 'number' ? d : 0));
  const elementCount = shape.reduce((a, b) => a * b, 1);
  const base = { name, dtype, shape, elementCount, location: 'constant-node' as const };
  if (typeof t.tensorContent === 'string') {
    const bytes = new Uint8Array(Buffer.from(t.tensorContent, 'base64'));
    const expected = (DTYPE_BYTES[dtype] ?? 0) * elementCount;
    if (expected && bytes.byteLength !== expected) {
      return { ...base, problem: `inline tensor has ${bytes.byteLength} bytes, its shape needs ${expected}` };
    }
    return {
      ...base,
      origin: 'tensorContent',
      data: {
        byteLength: bytes.byteLength,
        read: async (offset, length) => bytes.slice(offset, offset + length),
      },
    };
  }
  for (const key of ['floatVal', 'doubleVal', 'intVal', 'int64Val', 'uint64Val', 'boolVal', 'halfVal', 'stringVal']) {
    const list = t[key];
    if (!Array.isArray(list)) continue;
    if (key === 'stringVal') return { ...base, values: list.map(bytesText), origin: key };
    const nums = list.map((x) => (typeof x === 'boolean' ? Number(x) : key === 'halfVal' ? float16ToNumber(Number(x)) : float(x)));
    // A single value stands for every element (how TF writes splat constants); expand only small ones.
    const values = nums.length === 1 && elementCount > 1 && elementCount <= 1 << 20 ? new Array<number>(elementCount).fill(nums[0]) : nums;
    return { ...base, values, origin: key };
  }
  return { ...base, values: [], problem: elementCount ? 'inline tensor holds no values' : undefined };
}
