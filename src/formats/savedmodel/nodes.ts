import type { DType } from '../../model/dtype';
import type { Attribute, Node } from '../../model/graph';
import type { Shape } from '../../model/shape';
import { attrValue, protoShape } from '../tfjs/graph-attrs';
import { tfDType } from './dtypes';

/** A NodeDef as protobufjs's toObject gives it (camelCase fields, int64 as strings, bytes as base64). */
export interface NodeDefObj {
  name?: string;
  op?: string;
  input?: string[];
  device?: string;
  attr?: Record<string, Record<string, unknown>>;
}

export interface Declared {
  dtype?: DType;
  shape?: Shape;
}

export interface Body {
  nodes: Node[];
  declared: Map<string, Declared>;
}

/** Attributes that say the dtype of a node's first output, most specific first. */
const OUT_DTYPE_ATTRS = ['DstT', 'out_type', 'dtype', 'T'];

/**
 * NodeDefs → IR nodes. `ref` turns an input reference into a value name (top level: "x:0" → "x"; function bodies
 * keep "node:out_arg:k"); `rename` then gives some values other names (signature keys, checkpoint keys). Control
 * inputs ("^n") are not data edges: they are kept as the `control_inputs` attribute. Node outputs are the values
 * anything refers to (TF does not record output counts without the op registry); an unreferenced node gets one.
 */
export function buildNodes(
  defs: NodeDefObj[],
  opts: { ref: (raw: string) => string; rename: ReadonlyMap<string, string>; idPrefix: string; extraRefs?: string[]; skip?: ReadonlySet<string> },
): Body {
  const named = (v: string) => opts.rename.get(v) ?? v;
  const refs = new Map<string, string[]>();
  for (const raw of [...defs.flatMap((d) => d.input ?? []), ...(opts.extraRefs ?? [])]) {
    if (raw.startsWith('^')) continue;
    const r = opts.ref(raw);
    const owner = r.split(':')[0];
    const list = refs.get(owner) ?? [];
    if (!list.includes(r)) list.push(r);
    refs.set(owner, list);
  }
  const declared = new Map<string, Declared>();
  const nodes: Node[] = [];
  for (const d of defs) {
    const name = d.name ?? '';
    if (opts.skip?.has(name)) continue;
    const attr = d.attr ?? {};
    const outputs = outputNames(name, refs.get(name));
    const shapes = outputShapes(attr._output_shapes);
    outputs.forEach((o, i) => {
      const dtype = i === 0 ? firstOutputDType(attr) : undefined;
      const shape = shapes[i];
      if (dtype || shape) declared.set(named(o), { dtype, shape });
    });
    const inputs = d.input ?? [];
    const control = inputs.filter((i) => i.startsWith('^')).map((i) => i.slice(1));
    const attributes: Attribute[] = Object.entries(attr)
      .filter(([k]) => k !== '_output_shapes')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => ({ name: k, value: attrValue(v, `${name}.${k}`) }));
    if (control.length) attributes.push({ name: 'control_inputs', value: { type: 'strings', value: control } });
    if (d.device) attributes.push({ name: 'device', value: { type: 'string', value: d.device } });
    nodes.push({
      id: opts.idPrefix + name,
      opType: d.op ?? '',
      domain: 'tf',
      name,
      scope: name.split('/').slice(0, -1).join('/'),
      inputs: inputs.filter((i) => !i.startsWith('^')).map((i) => named(opts.ref(i))),
      outputs: outputs.map(named),
      attributes,
      subgraphs: [],
    });
  }
  return { nodes, declared };
}

/** Top-level references: "x" and "x:0" are output 0 of node x, named "x" (as TF and the TF.js reader do). */
export function topRef(raw: string): string {
  return raw.endsWith(':0') ? raw.slice(0, -2) : raw;
}

/** Output names: "name" then "name:k" up to the highest index used (top level), or the referenced "name:arg:k". */
function outputNames(name: string, used: string[] | undefined): string[] {
  let max = 0;
  const verbatim: string[] = [];
  for (const r of used ?? []) {
    if (r === name) continue;
    const rest = r.slice(name.length + 1);
    if (/^\d+$/.test(rest)) max = Math.max(max, Number(rest));
    else verbatim.push(r);
  }
  if (verbatim.length) return verbatim;
  return Array.from({ length: max + 1 }, (_, k) => (k === 0 ? name : `${name}:${k}`));
}

function firstOutputDType(attr: Record<string, Record<string, unknown>>): DType | undefined {
  for (const k of OUT_DTYPE_ATTRS) {
    const v = attr[k];
    if (v && 'type' in v) return tfDType(v.type);
  }
  return undefined;
}

function outputShapes(v: Record<string, unknown> | undefined): Shape[] {
  const list = v?.list as { shape?: unknown[] } | undefined;
  return Array.isArray(list?.shape) ? list.shape.map((s) => protoShape(s)) : [];
}
