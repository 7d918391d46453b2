import { ModelError } from '../../model/errors';
import type { DType } from '../../model/dtype';
import type { Attribute, Node } from '../../model/graph';
import type { Shape } from '../../model/shape';
import type { Tensor } from '../../model/tensor';
import { graphDType } from './dtypes';
import { attrValue, protoShape } from './graph-attrs';
import { isObj, type Json } from './keras-config';

export interface GraphParts {
  name: string;
  nodes: Node[];
  declared: { name: string; dtype?: DType; shape?: Shape }[];
  inputs: string[];
  outputs: string[];
}

/** Ops that carry data rather than compute: shown as weights / graph inputs, not as nodes. */
const PLACEHOLDER = 'Placeholder';
const CONST = 'Const';

/** Attributes that say the dtype of a node's first output, in the order that is most specific. */
const OUT_DTYPE_ATTRS = ['DstT', 'out_type', 'dtype', 'T'];

/**
 * GraphDef JSON (what tensorflowjs_converter writes as `modelTopology`) → IR parts. Value names follow TF:
 * output 0 of node `n` is `n`, output k is `n:k`; `^n` inputs are control edges, kept as an attribute.
 */
export function buildGraphModel(jsonPath: string, topology: unknown, signature: unknown, weights: ReadonlyMap<string, Tensor>): GraphParts {
  if (!isObj(topology) || !Array.isArray(topology.node)) {
    throw new ModelError(jsonPath, 'graph-model modelTopology has no "node" list');
  }
  const defs = topology.node.map((n, i) => nodeDef(jsonPath, n, `modelTopology.node[${i}]`));
  const parts = buildBody(defs, weights, (ref) => normalizeRef(ref));
  const sig = isObj(signature) ? signature : {};
  const sigIns = tensorInfos(sig.inputs);
  const sigOuts = tensorInfos(sig.outputs);

  const placeholders = defs.filter((d) => d.op === PLACEHOLDER).map((d) => d.name);
  const sigInNames = sigIns.map((s) => s.name).filter((n) => placeholders.includes(n));
  const inputs = [...sigInNames, ...placeholders.filter((p) => !sigInNames.includes(p))];
  for (const s of [...sigIns, ...sigOuts]) {
    const d = parts.declared.get(s.name) ?? {};
    d.shape ??= s.shape;
    d.dtype ??= s.dtype;
    parts.declared.set(s.name, d);
  }
  let outputs = sigOuts.map((s) => s.name).filter((n) => parts.produced.has(n) || parts.declared.has(n));
  if (!outputs.length) {
    // No signature: the model's outputs are what nothing consumes.
    const consumed = new Set(parts.nodes.flatMap((n) => n.inputs));
    outputs = parts.nodes.filter((n) => !consumed.has(n.outputs[0])).map((n) => n.outputs[0]);
  }
  return {
    name: 'main',
    nodes: parts.nodes,
    declared: [...parts.declared].map(([name, v]) => ({ name, ...v })),
    inputs,
    outputs,
  };
}

/** `modelTopology.library.function[]` → one graph each (bodies reference `node:out_arg:k`, kept verbatim). */
export function buildFunctions(jsonPath: string, topology: unknown): GraphParts[] {
  const lib = isObj(topology) && isObj(topology.library) ? topology.library : undefined;
  const fns = lib && Array.isArray(lib.function) ? lib.function : [];
  return fns.filter(isObj).map((f, fi) => {
    const sig = isObj(f.signature) ? f.signature : {};
    const name = typeof sig.name === 'string' ? sig.name : `function_${fi}`;
    const defs = (Array.isArray(f.nodeDef) ? f.nodeDef : []).map((n, i) => nodeDef(jsonPath, n, `function ${name} node[${i}]`));
    const ret = isObj(f.ret) ? f.ret : {};
    const parts = buildBody(defs, new Map(), (ref) => ref, Object.values(ret).map(String));
    const args = (v: unknown) => (Array.isArray(v) ? v.filter(isObj) : []);
    const inputs = args(sig.inputArg).map((a) => String(a.name));
    for (const a of args(sig.inputArg)) parts.declared.set(String(a.name), { dtype: graphDType(a.type) });
    const outputs = args(sig.outputArg).map((a) => String(ret[String(a.name)] ?? a.name));
    return { name, nodes: parts.nodes, declared: [...parts.declared].map(([n, v]) => ({ name: n, ...v })), inputs, outputs };
  });
}

interface NodeDef {
  name: string;
  op: string;
  inputs: string[];
  attr: Json;
  device?: string;
}

function nodeDef(jsonPath: string, n: unknown, where: string): NodeDef {
  if (!isObj(n) || typeof n.name !== 'string' || typeof n.op !== 'string') {
    throw new ModelError(jsonPath, `${where} needs a string "name" and "op"`);
  }
  const inputs = Array.isArray(n.input) ? n.input.map(String) : [];
  return { name: n.name, op: n.op, inputs, attr: isObj(n.attr) ? n.attr : {}, device: typeof n.device === 'string' && n.device ? n.device : undefined };
}

/** "x:0" → "x" (output 0 goes by the node's name, as in TF); "x:1" stays. */
function normalizeRef(ref: string): string {
  return ref.endsWith(':0') ? ref.slice(0, -2) : ref;
}

function buildBody(defs: NodeDef[], weights: ReadonlyMap<string, Tensor>, norm: (ref: string) => string, extraRefs: string[] = []) {
  const declared = new Map<string, { dtype?: DType; shape?: Shape }>();
  const produced = new Set<string>();
  // Every output of a node anything refers to, so multi-output ops get all their values.
  const refs = new Map<string, Set<string>>();
  for (const raw of [...defs.flatMap((d) => d.inputs), ...extraRefs]) {
    if (raw.startsWith('^')) continue;
    const r = norm(raw);
    const owner = r.split(':')[0];
    let s = refs.get(owner);
    if (!s) refs.set(owner, (s = new Set()));
    s.add(r);
  }
  const nodes: Node[] = [];
  for (const d of defs) {
    const outShapes = d.attr._output_shapes;
    const shapeList = isObj(outShapes) && isObj(outShapes.list) && Array.isArray(outShapes.list.shape) ? outShapes.list.shape : [];
    if (d.op === PLACEHOLDER || (d.op === CONST && weights.has(d.name))) {
      const dt = isObj(d.attr.dtype) ? graphDType(d.attr.dtype.type) : undefined;
      const shape = isObj(d.attr.shape) ? protoShape(d.attr.shape.shape) : protoShape(shapeList[0]);
      declared.set(d.name, { dtype: dt, shape: d.op === PLACEHOLDER ? batchNamed(shape) : shape });
      continue;
    }
    const outputs = outputNames(d.name, refs.get(d.name));
    outputs.forEach((o, i) => {
      produced.add(o);
      const shape = protoShape(shapeList[i]);
      const dtype = i === 0 ? firstOutputDType(d.attr) : undefined;
      if (shape || dtype) declared.set(o, { shape, dtype });
    });
    const control = d.inputs.filter((i) => i.startsWith('^')).map((i) => i.slice(1));
    const attributes: Attribute[] = Object.entries(d.attr)
      .filter(([k]) => k !== '_output_shapes')
      .map(([k, v]) => ({ name: k, value: attrValue(v, `${d.name}.${k}`) }));
    if (control.length) attributes.push({ name: 'control_inputs', value: { type: 'strings', value: control } });
    if (d.device) attributes.push({ name: 'device', value: { type: 'string', value: d.device } });
    nodes.push({
      id: d.name, opType: d.op, domain: 'tfjs', name: d.name,
      scope: d.name.split('/').slice(0, -1).join('/'),
      inputs: d.inputs.filter((i) => !i.startsWith('^')).map(norm),
      outputs, attributes, subgraphs: [],
    });
  }
  return { nodes, declared, produced };
}

/** Output names of a node: its own name for output 0, then `name:k` up to the highest index referenced. */
function outputNames(name: string, used: Set<string> | undefined): string[] {
  let max = 0;
  const verbatim: string[] = [];
  for (const r of used ?? []) {
    const rest = r.slice(name.length + 1);
    if (r === name) continue;
    if (/^\d+$/.test(rest)) max = Math.max(max, Number(rest));
    else verbatim.push(r); // function bodies: "node:out_arg:k"
  }
  if (verbatim.length) return verbatim;
  return Array.from({ length: max + 1 }, (_, k) => (k === 0 ? name : `${name}:${k}`));
}

function firstOutputDType(attr: Json): DType | undefined {
  for (const k of OUT_DTYPE_ATTRS) {
    const v = attr[k];
    if (isObj(v) && 'type' in v) return graphDType(v.type);
  }
  return undefined;
}

/** A Placeholder's leading -1 is the batch; naming it reads better than "?" in the overview. */
function batchNamed(shape: Shape): Shape {
  return shape && shape.length > 0 && shape[0] === null ? ['batch', ...shape.slice(1)] : shape;
}

/** `signature.inputs/outputs`: `{key: {name: "x:0", dtype, tensorShape}}`. */
function tensorInfos(v: unknown): { name: string; dtype?: DType; shape?: Shape }[] {
  if (!isObj(v)) return [];
  return Object.values(v).filter(isObj).filter((t) => typeof t.name === 'string').map((t) => ({
    name: normalizeRef(t.name as string),
    dtype: graphDType(t.dtype),
    shape: batchNamed(protoShape(t.tensorShape)),
  }));
}
