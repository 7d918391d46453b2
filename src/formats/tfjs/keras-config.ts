import type { Attribute, AttributeValue } from '../../model/graph';
import type { Dim, Shape } from '../../model/shape';
import type { DType } from '../../model/dtype';
import { manifestDType } from './dtypes';

/** A reference to one output of one call of a layer: [layer name, call (node) index, tensor index]. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
  /** Keras 3 refs carry the tensor's shape/dtype. */
  shape?: Shape;
  dtype?: DType;
}

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Refs of one inbound node (one call), in argument order. Keras 2 writes `[[layer, node, tensor, kwargs], ...]`;
 * Keras 3 writes `{args: [...], kwargs: {...}}` with `__keras_tensor__` objects holding `keras_history`.
 */
export function callRefs(call: unknown): TensorRef[] {
  const out: TensorRef[] = [];
  if (Array.isArray(call)) {
    // Keras 2: a list of refs; a lone ref (not wrapped in a list) also occurs in old files.
    if (typeof call[0] === 'string') pushRef(out, call);
    else for (const r of call) if (Array.isArray(r) && typeof r[0] === 'string') pushRef(out, r);
  } else if (isObj(call)) {
    collectHistory(call.args, out);
    collectHistory(call.kwargs, out);
  }
  return out;
}

/** `input_layers` / `output_layers`: a list of refs, or (Keras 3, one tensor) a single ref. */
export function refList(v: unknown): TensorRef[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return pushRef([], v);
  const out: TensorRef[] = [];
  for (const r of v) if (Array.isArray(r) && typeof r[0] === 'string') pushRef(out, r);
  return out;
}

function pushRef(out: TensorRef[], r: unknown[]): TensorRef[] {
  out.push({ layer: r[0] as string, node: toIndex(r[1]), tensor: toIndex(r[2]) });
  return out;
}

function toIndex(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
}

function collectHistory(v: unknown, out: TensorRef[], depth = 0): void {
  if (depth > 32) return;
  if (Array.isArray(v)) {
    for (const x of v) collectHistory(x, out, depth + 1);
  } else if (isObj(v)) {
    const cfg = v.config;
    if (v.class_name === '__keras_tensor__' && isObj(cfg) && Array.isArray(cfg.keras_history)) {
      const ref = pushRef(out, cfg.keras_history)[out.length - 1];
      if (Array.isArray(cfg.shape)) ref.shape = kerasShape(cfg.shape, false);
      ref.dtype = manifestDType(cfg.dtype);
      return;
    }
    for (const x of Object.values(v)) collectHistory(x, out, depth + 1);
  }
}

/** Keras shape list → IR shape; null dims are unknown, the batch dim (when `withBatch`) is named "batch". */
export function kerasShape(v: unknown, withBatch: boolean): Shape {
  if (!Array.isArray(v)) return undefined;
  return v.map((d, i): Dim => (typeof d === 'number' && d >= 0 ? d : i === 0 && withBatch ? 'batch' : null));
}

/** The input shape a layer config declares (InputLayer, or the first layer of a Sequential), with batch dim. */
export function declaredInputShape(cfg: Json): Shape {
  if (Array.isArray(cfg.batch_input_shape)) return kerasShape(cfg.batch_input_shape, true);
  if (Array.isArray(cfg.batch_shape)) return kerasShape(cfg.batch_shape, true);
  if (Array.isArray(cfg.input_shape)) return kerasShape([null, ...cfg.input_shape], true);
  if (Array.isArray(cfg.shape)) return kerasShape([null, ...cfg.shape], true);
  return undefined;
}

/** Layer config → attributes: typed when the JSON type says so, 'json' for objects and mixed lists. */
export function configAttributes(cfg: Json): Attribute[] {
  const out: Attribute[] = [];
  for (const [name, v] of Object.entries(cfg)) {
    if (name === 'name') continue;
    out.push({ name, value: attributeValue(v) });
  }
  return out;
}

function attributeValue(v: unknown): AttributeValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (Array.isArray(v) && v.length > 0) {
    if (v.every((x) => typeof x === 'number' && Number.isInteger(x))) return { type: 'ints', value: v as number[] };
    if (v.every((x) => typeof x === 'number')) return { type: 'floats', value: v as number[] };
    if (v.every((x) => typeof x === 'string')) return { type: 'strings', value: v as string[] };
  }
  return { type: 'json', value: v };
}
