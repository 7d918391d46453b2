import type { Graph, Node } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import { protoShape } from '../tfjs/graph-attrs';
import { DT_RESOURCE, tfDType } from './dtypes';
import { buildNodes, topRef, type Declared, type NodeDefObj } from './nodes';
import type { Signature } from './signatures';

interface ArgObj {
  name?: string;
  type?: number;
}
interface FunctionDefObj {
  signature?: { name?: string; inputArg?: ArgObj[]; outputArg?: ArgObj[] };
  nodeDef?: NodeDefObj[];
  ret?: Record<string, string>;
}
interface ObjectGraphObj {
  nodes?: { children?: { nodeId?: number; localName?: string }[]; variable?: unknown }[];
  concreteFunctions?: Record<string, { boundInputs?: number[] }>;
}
export interface MetaGraphObj {
  graphDef?: { node?: NodeDefObj[]; library?: { function?: FunctionDefObj[] } };
  objectGraphDef?: ObjectGraphObj;
}

export interface SavedModelGraphs {
  graph: Graph;
  functions: Graph[];
  /** The library function shown as the main graph, when the top level only wraps it. */
  mainFunction?: string;
  /** Checkpoint keys the graph reads (bound to a VarHandleOp / function argument). */
  boundKeys: Set<string>;
  warnings: string[];
}

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
/** Top-level ops of a TF2 SavedModel that only hold variables and call the traced functions. */
const WRAPPER_OPS = new Set([...CALL_OPS, 'Placeholder', 'PlaceholderWithDefault', 'VarHandleOp', 'Identity', 'NoOp', 'Const']);
const VARIABLE_OPS = new Set(['VarHandleOp', 'VariableV2', 'Variable']);
/** Wrappers calling wrappers (signature wrapper → traced call): bounded so a cyclic library cannot loop. */
const MAX_WRAPPER_DEPTH = 32;

/**
 * The serving MetaGraph → the graph to show. TF2 SavedModels keep the computation in `library.function`: when the
 * top level is only the call wrapper, the serving signature's function (followed through wrapper functions that
 * only call another one) becomes the main graph, its captured variable arguments renamed to their checkpoint keys
 * and its signature inputs/outputs to the signature's keys. Otherwise the top-level GraphDef is the main graph.
 * Every other library function is listed in `functions`. Checkpoint tensors are the main graph's initializers.
 */
export function buildGraphs(meta: MetaGraphObj, sig: Signature | undefined, tensors: Tensor[]): SavedModelGraphs {
  const top = meta.graphDef?.node ?? [];
  const lib = new Map<string, FunctionDefObj>();
  for (const f of meta.graphDef?.library?.function ?? []) if (f.signature?.name) lib.set(f.signature.name, f);
  const keys = new Set(tensors.map((t) => t.name));
  const topVarKey = topLevelVariableKeys(top, meta.objectGraphDef, keys);
  const warnings: string[] = [];

  const chain = sig && isWrapperOnly(top) ? followServing(top, lib, sig) : undefined;
  let main: { graph: Graph; boundKeys: Set<string> };
  if (chain) {
    main = functionMain(chain, sig!, topVarKey, tensors, warnings);
  } else {
    main = topLevelMain(top, sig, topVarKey, tensors);
  }
  const functions = [...lib.values()].filter((f) => f.signature?.name !== chain?.fdef.signature?.name).map(functionGraph);
  return { graph: main.graph, functions, mainFunction: chain?.fdef.signature?.name, boundKeys: main.boundKeys, warnings };
}

function isWrapperOnly(top: NodeDefObj[]): boolean {
  return top.some((n) => CALL_OPS.has(n.op ?? '')) && top.every((n) => WRAPPER_OPS.has(n.op ?? ''));
}

const calledName = (n: NodeDefObj): string | undefined => {
  const f = n.attr?.f?.func as { name?: unknown } | undefined;
  return typeof f?.name === 'string' ? f.name : undefined;
};
const dataInputs = (n: NodeDefObj): string[] => (n.input ?? []).filter((i) => !i.startsWith('^'));

/** Checkpoint key of each object-graph variable: its path of child names from the root, as TF names them. */
function objectKeys(graph: ObjectGraphObj | undefined, keys: ReadonlySet<string>): Map<number, string> {
  const nodes = graph?.nodes ?? [];
  const paths = new Map<number, string>([[0, '']]);
  const queue = [0];
  const out = new Map<number, string>();
  while (queue.length) {
    const id = queue.shift()!;
    const node = nodes[id];
    if (!node) continue;
    if (node.variable) {
      const key = `${paths.get(id)}/.ATTRIBUTES/VARIABLE_VALUE`;
      if (keys.has(key)) out.set(id, key);
    }
    for (const c of node.children ?? []) {
      const child = Number(c.nodeId ?? 0);
      if (paths.has(child)) continue;
      const parent = paths.get(id)!;
      const local = escapeLocalName(c.localName ?? '');
      paths.set(child, parent ? `${parent}/${local}` : local);
      queue.push(child);
    }
  }
  return out;
}

/** TF escapes "." as ".." and "/" as ".S" in object names inside checkpoint keys. */
function escapeLocalName(name: string): string {
  return name.split('.').join('..').split('/').join('.S');
}

/**
 * Top-level value → checkpoint key: the variables a call captures are its last inputs, in the order of its
 * concrete function's `bound_inputs` (object-graph ids); TF1 graphs name variables by their checkpoint key.
 */
function topLevelVariableKeys(top: NodeDefObj[], objects: ObjectGraphObj | undefined, keys: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const byObject = objectKeys(objects, keys);
  for (const n of top) {
    if (VARIABLE_OPS.has(n.op ?? '') && n.name && keys.has(n.name)) out.set(n.name, n.name);
    const f = calledName(n);
    const bound = f ? (objects?.concreteFunctions?.[f]?.boundInputs ?? []) : [];
    if (!CALL_OPS.has(n.op ?? '') || !bound.length) continue;
    const ins = dataInputs(n).map(topRef);
    const first = ins.length - bound.length;
    bound.forEach((id, j) => {
      const key = byObject.get(Number(id));
      if (key && first + j >= 0) out.set(ins[first + j], key);
    });
  }
  return out;
}

interface ServingChain {
  fdef: FunctionDefObj;
  /** Argument name of `fdef` → the top-level value passed in for it. */
  binding: Map<string, string>;
  /** For each signature output, the index of `fdef`'s output argument it is. */
  outIndex: number[];
}

/** From the call node the serving signature reads, down through wrapper functions that only call another one. */
function followServing(top: NodeDefObj[], lib: Map<string, FunctionDefObj>, sig: Signature): ServingChain | undefined {
  const outs = sig.outputs.map((o) => splitTopOutput(o.tensor));
  const callName = outs[0]?.node;
  if (!callName || outs.some((o) => o.node !== callName)) return undefined;
  const call = top.find((n) => n.name === callName);
  if (!call || !CALL_OPS.has(call.op ?? '')) return undefined;
  let fname = calledName(call);
  let passed = dataInputs(call).map(topRef);
  let outIndex = outs.map((o) => o.index);
  let chain: ServingChain | undefined;
  for (let depth = 0; depth < MAX_WRAPPER_DEPTH && fname; depth++) {
    const fdef = lib.get(fname);
    if (!fdef) break;
    const args = (fdef.signature?.inputArg ?? []).map((a) => a.name ?? '');
    const outer = chain?.binding;
    const binding = new Map<string, string>();
    args.forEach((a, i) => {
      const v = passed[i];
      if (v !== undefined) binding.set(a, outer ? (outer.get(v) ?? v) : v);
    });
    chain = { fdef, binding, outIndex };
    const inner = innerCall(fdef, outIndex, args);
    if (!inner) break;
    fname = calledName(inner.call);
    passed = dataInputs(inner.call);
    outIndex = inner.outIndex;
  }
  return chain;
}

/** "StatefulPartitionedCall:1" → node and output index (no suffix is output 0). */
function splitTopOutput(tensor: string): { node: string; index: number } {
  const m = /^(.*):(\d+)$/.exec(tensor);
  return m ? { node: m[1], index: Number(m[2]) } : { node: tensor, index: 0 };
}

/** When `fdef` only forwards its arguments to one call (plus Identity/NoOp), that call and its output indices. */
function innerCall(fdef: FunctionDefObj, outIndex: number[], args: string[]): { call: NodeDefObj; outIndex: number[] } | undefined {
  const body = fdef.nodeDef ?? [];
  const calls = body.filter((n) => CALL_OPS.has(n.op ?? ''));
  if (calls.length !== 1 || !body.every((n) => CALL_OPS.has(n.op ?? '') || n.op === 'Identity' || n.op === 'NoOp')) return undefined;
  const call = calls[0];
  if (!dataInputs(call).every((i) => args.includes(i))) return undefined;
  const byName = new Map(body.map((n) => [n.name ?? '', n]));
  const outArgs = fdef.signature?.outputArg ?? [];
  const mapped: number[] = [];
  for (const k of outIndex) {
    let ref = fdef.ret?.[outArgs[k]?.name ?? ''];
    for (let hops = 0; ref !== undefined && hops <= body.length; hops++) {
      const n = byName.get(ref.split(':')[0]);
      if (n?.op !== 'Identity') break;
      ref = dataInputs(n)[0];
    }
    const m = ref ? /^([^:]+):output:(\d+)$/.exec(ref) : null;
    if (!m || m[1] !== call.name) return undefined;
    mapped.push(Number(m[2]));
  }
  return { call, outIndex: mapped };
}

/** Renames that do not collide with another value of the graph. */
function safeRenames(pairs: [string, string][], taken: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const targets = new Set<string>();
  for (const [from, to] of pairs) {
    if (from === to || out.has(from) || targets.has(to) || (taken.has(to) && to !== from)) continue;
    out.set(from, to);
    targets.add(to);
  }
  return out;
}

function functionMain(chain: ServingChain, sig: Signature, topVarKey: Map<string, string>, tensors: Tensor[], warnings: string[]): { graph: Graph; boundKeys: Set<string> } {
  const { fdef, binding, outIndex } = chain;
  const args = fdef.signature?.inputArg ?? [];
  const outArgs = fdef.signature?.outputArg ?? [];
  const sigInByRef = new Map(sig.inputs.map((t) => [topRef(t.tensor), t]));
  const taken = new Set<string>([...args.map((a) => a.name ?? ''), ...(fdef.nodeDef ?? []).flatMap((n) => n.input ?? []), ...Object.values(fdef.ret ?? {})]);
  const pairs: [string, string][] = [];
  const boundKeys = new Set<string>();
  const inputs: string[] = [];
  const declared = new Map<string, Declared>();
  for (const a of args) {
    const name = a.name ?? '';
    const passed = binding.get(name);
    const key = passed !== undefined ? topVarKey.get(passed) : undefined;
    const sigIn = passed !== undefined ? sigInByRef.get(passed) : undefined;
    if (key) {
      pairs.push([name, key]);
      boundKeys.add(key);
    } else if (sigIn) {
      pairs.push([name, sigIn.key]);
    } else if (a.type === DT_RESOURCE) {
      warnings.push(`the captured resource "${name}" of ${fdef.signature?.name} has no variable in the checkpoint`);
    }
  }
  const outRefs = outIndex.map((k) => fdef.ret?.[outArgs[k]?.name ?? ''] ?? '');
  sig.outputs.forEach((o, i) => outRefs[i] && pairs.push([outRefs[i], o.key]));
  const rename = safeRenames(pairs, taken);
  const named = (v: string) => rename.get(v) ?? v;
  for (const a of args) {
    const name = a.name ?? '';
    const passed = binding.get(name);
    if (passed !== undefined && topVarKey.has(passed)) continue;
    if (a.type === DT_RESOURCE && !(passed !== undefined && sigInByRef.has(passed))) continue;
    inputs.push(named(name));
    declared.set(named(name), { dtype: tfDType(a.type) });
  }
  const body = buildNodes(fdef.nodeDef ?? [], { ref: (r) => r, rename, idPrefix: '', extraRefs: Object.values(fdef.ret ?? {}) });
  for (const [k, v] of body.declared) declared.set(k, { ...declared.get(k), ...v });
  for (const t of [...sig.inputs, ...sig.outputs]) {
    const name = sig.inputs.includes(t) ? named([...binding].find(([, v]) => v === topRef(t.tensor))?.[0] ?? '') : named(outRefs[sig.outputs.indexOf(t)] ?? '');
    if (name) declared.set(name, { dtype: t.dtype ?? declared.get(name)?.dtype, shape: t.shape });
  }
  const outputs = outRefs.filter(Boolean).map(named);
  return { graph: link(fdef.signature?.name ?? 'main', body.nodes, declared, inputs, outputs, tensors), boundKeys };
}

function topLevelMain(top: NodeDefObj[], sig: Signature | undefined, topVarKey: Map<string, string>, tensors: Tensor[]): { graph: Graph; boundKeys: Set<string> } {
  const sigIns = sig?.inputs ?? [];
  const sigOuts = sig?.outputs ?? [];
  const placeholders = top.filter((n) => n.op === 'Placeholder' || n.op === 'PlaceholderWithDefault').map((n) => n.name ?? '');
  const inputRefs = sig ? sigIns.map((t) => topRef(t.tensor)).filter((r) => placeholders.includes(r)) : placeholders;
  const taken = new Set<string>([...top.map((n) => n.name ?? ''), ...top.flatMap((n) => (n.input ?? []).map(topRef))]);
  const pairs: [string, string][] = [
    ...sigIns.map((t): [string, string] => [topRef(t.tensor), t.key]),
    ...sigOuts.map((t): [string, string] => [topRef(t.tensor), t.key]),
    ...[...topVarKey].filter(([v, k]) => v !== k),
  ];
  const rename = safeRenames(pairs, taken);
  const named = (v: string) => rename.get(v) ?? v;
  const body = buildNodes(top, { ref: topRef, rename, idPrefix: '', extraRefs: sigOuts.map((t) => t.tensor), skip: new Set(inputRefs) });
  const declared = body.declared;
  for (const n of top) {
    if (!inputRefs.includes(n.name ?? '')) continue;
    declared.set(named(n.name ?? ''), { dtype: tfDType(n.attr?.dtype?.type), shape: protoShape(n.attr?.shape?.shape) });
  }
  for (const t of [...sigIns, ...sigOuts]) declared.set(named(topRef(t.tensor)), { dtype: t.dtype, shape: t.shape });
  let outputs = sigOuts.map((t) => named(topRef(t.tensor)));
  if (!sig) {
    const consumed = new Set(body.nodes.flatMap((n) => n.inputs));
    outputs = body.nodes.filter((n) => n.outputs[0] && !consumed.has(n.outputs[0])).map((n) => n.outputs[0]);
  }
  return { graph: link('main', body.nodes, declared, inputRefs.map(named), outputs, tensors), boundKeys: new Set(topVarKey.values()) };
}

/** A library function as a graph of its own; node ids carry the function's name so they stay unique. */
function functionGraph(fdef: FunctionDefObj): Graph {
  const name = fdef.signature?.name ?? '';
  const ret = fdef.ret ?? {};
  const body = buildNodes(fdef.nodeDef ?? [], { ref: (r) => r, rename: new Map(), idPrefix: `${name}::`, extraRefs: Object.values(ret) });
  const args = fdef.signature?.inputArg ?? [];
  for (const a of args) body.declared.set(a.name ?? '', { dtype: tfDType(a.type) });
  const outputs = (fdef.signature?.outputArg ?? []).map((a) => ret[a.name ?? ''] ?? a.name ?? '');
  return link(name, body.nodes, body.declared, args.map((a) => a.name ?? ''), outputs, []);
}

function link(name: string, nodes: Node[], declared: Map<string, Declared>, inputs: string[], outputs: string[], initializers: Tensor[]): Graph {
  return linkGraph({
    name,
    nodes,
    declared: [...declared].map(([n, d]) => ({ name: n, ...d, consumers: [] })),
    inputs,
    outputs,
    initializers,
  });
}
