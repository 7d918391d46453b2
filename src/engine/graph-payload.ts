import type { Graph, Model, Node } from '../model/graph';
import { ModelError } from '../model/errors';
import { findNode } from '../model/walk';
import type { GraphConstRow, GraphId, GraphNodeRow, GraphPayload, GraphValueRow } from '../protocol/graph';
import { MAX_CONST_ROWS } from '../protocol/graph';
import { toWireShape } from '../formats/summarize';
import { analyseFolding, keyAttributes, rowName, shapeText } from './graph-folding';

/** Input port names of common ops, for weights whose own names are exporter-generated. */
const PORTS: Record<string, string[]> = {
  Conv: ['X', 'W', 'B'], ConvTranspose: ['X', 'W', 'B'], Gemm: ['A', 'B', 'C'], MatMul: ['A', 'B'],
  BatchNormalization: ['X', 'scale', 'B', 'mean', 'var'], LayerNormalization: ['X', 'scale', 'B'],
  InstanceNormalization: ['X', 'scale', 'B'], Add: ['A', 'B'], Mul: ['A', 'B'], Sub: ['A', 'B'], Div: ['A', 'B'],
  Reshape: ['data', 'shape'], Unsqueeze: ['data', 'axes'], Squeeze: ['data', 'axes'], Gather: ['data', 'indices'],
  Slice: ['data', 'starts', 'ends', 'axes', 'steps'], Expand: ['input', 'shape'], Pad: ['data', 'pads', 'value'],
  Resize: ['X', 'roi', 'scales', 'sizes'], Clip: ['input', 'min', 'max'], Pow: ['X', 'Y'],
};

/** A scope with more direct nodes than this is split into numbered chunks, so no single group needs a huge layout. */
export const CHUNK_SIZE = 300;

/** Finds the graph a GraphId names: '' is the main graph, `<nodeId>:<i>` the i-th body of that node. */
export function resolveGraph(model: Model, id: GraphId): { graph: Graph; path: string[] } {
  if (!id) return { graph: model.graph, path: [model.graph.name || 'main'] };
  const cut = id.lastIndexOf(':');
  const nodeId = cut > 0 ? id.slice(0, cut) : '';
  const index = cut > 0 ? Number(id.slice(cut + 1)) : NaN;
  const node = nodeId ? findNode(model, nodeId) : undefined;
  const sub = node && Number.isInteger(index) ? node.subgraphs[index] : undefined;
  if (!node || !sub) throw new ModelError(model.path, `has no subgraph "${id.slice(0, 200)}"`);
  // The parent's path: walk up through the id structure is not possible (ids are opaque), so name the body by its node.
  return { graph: sub.graph, path: [model.graph.name || 'main', `${node.name || node.opType} ${sub.attribute}`] };
}

/**
 * Builds the compact graph JSON the webview lays out: interned ops and scopes, index edges, weights as badges and
 * rows, constants and shape plumbing flagged for folding. `small` holds the values of small tensors by value name
 * (readSmallValues), shown on their rows.
 */
export function buildGraphPayload(model: Model, id: GraphId = '', small?: ReadonlyMap<string, string>): GraphPayload {
  const { graph, path } = resolveGraph(model, id);
  const folding = analyseFolding(graph);
  const ops: string[] = [];
  const opIndex = new Map<string, number>();
  const internOp = (op: string): number => {
    let i = opIndex.get(op);
    if (i === undefined) opIndex.set(op, (i = ops.push(op) - 1));
    return i;
  };
  const scopes: string[] = [''];
  const scopeIndex = new Map<string, number>([['', 0]]);
  const internScope = (s: string): number => {
    const known = scopeIndex.get(s);
    if (known !== undefined) return known;
    const cut = s.lastIndexOf('/');
    if (cut > 0) internScope(s.slice(0, cut));
    const i = scopes.push(s) - 1;
    scopeIndex.set(s, i);
    return i;
  };
  const values: GraphValueRow[] = [];
  const valueIndex = new Map<string, number>();
  const internValue = (name: string): number => {
    let i = valueIndex.get(name);
    if (i === undefined) {
      const v = graph.values.get(name);
      const row: GraphValueRow = { name };
      if (v?.dtype) row.dtype = v.dtype;
      if (v?.shape) row.shape = toWireShape(v.shape);
      valueIndex.set(name, (i = values.push(row) - 1));
    }
    return i;
  };

  const nodeScopes = chunkedScopes(graph.nodes);
  const rows: GraphNodeRow[] = [];
  const indexById = new Map<string, number>();
  const producerIndex = new Map<string, number>();
  const add = (row: GraphNodeRow): number => {
    const i = rows.push(row) - 1;
    indexById.set(row.id, i);
    return i;
  };

  // Formal inputs first so they lay out on top.
  for (const name of graph.inputs) {
    const i = add({ id: `in:${name}`, kind: 'input', op: internOp('Input'), name, scope: 0, io: [internValue(name)] });
    producerIndex.set(name, i);
  }
  const first = rows.length; // node k of the graph is row first + k
  const nodeIndex = new Map(graph.nodes.map((n, k) => [n.id, k]));
  const sources: Set<string>[] = [];
  graph.nodes.forEach((n, k) => {
    const row: GraphNodeRow = { id: n.id, kind: 'op', op: internOp(n.opType), name: shortName(n), scope: internScope(nodeScopes[k]), io: [] };
    let weights = 0;
    let params = 0;
    const constRows: GraphConstRow[] = [];
    let more = 0;
    for (let slot = 0; slot < n.inputs.length; slot++) {
      const name = n.inputs[slot];
      if (!name) continue;
      row.io.push(internValue(name));
      const v = graph.values.get(name);
      // A weight read directly, or through an Identity that folds into this node: a badge and a row, searchable by its name.
      const w = v?.initializer ?? folding.weightOf.get(name);
      if (w) {
        weights++;
        params += w.elementCount;
        if (!v?.initializer) row.io.push(internValue(w.name));
      }
      const p = v?.producer !== undefined ? nodeIndex.get(v.producer) ?? -1 : -1;
      const folded = p >= 0 && folding.fold[p] === 1;
      if (!w && !folded) continue;
      if (constRows.length >= MAX_CONST_ROWS) { more++; continue; }
      const shape = w ? w.shape : v?.shape ? toWireShape(v.shape) ?? undefined : undefined;
      const text = small?.get(w ? w.name : name) ?? small?.get(name) ?? shapeText(shape);
      // Exporter-generated names ("onnx::Conv_193") say nothing: name the input port as Netron does where it is known.
      let rn = rowName(w ? w.name : name);
      if (rn === 'W' || rn === 'const') rn = PORTS[n.opType]?.[slot] ?? (text.startsWith('=') ? 'const' : rn);
      constRows.push({ name: rn, text, ...(folded ? { node: first + p } : {}) });
    }
    if (more) constRows.push({ name: '', text: `+${more} more` });
    for (const name of n.outputs) if (name) row.io.push(internValue(name));
    if (weights) {
      row.weights = weights;
      row.params = params;
    }
    if (constRows.length) row.rows = constRows;
    if (folding.fold[k]) row.fold = 1;
    if (folding.plumb[k] >= 0) {
      row.plumb = first + folding.plumb[k];
      if (n.opType === 'Shape' || n.opType === 'Size') {
        const t = folding.plumb[k];
        (sources[t] ??= new Set()).add(n.inputs[0]);
      }
    }
    const attrs = keyAttributes(n);
    if (attrs) row.attrs = attrs;
    if (n.subgraphs.length) row.subgraphs = n.subgraphs.length;
    const i = add(row);
    for (const o of n.outputs) if (o) producerIndex.set(o, i);
  });
  // Each plumbing target's badge: how many ops fold into it and whose shape they read.
  const plumbCount = new Map<number, number>();
  graph.nodes.forEach((_, k) => {
    const t = folding.plumb[k];
    if (t >= 0 && !folding.fold[k]) plumbCount.set(t, (plumbCount.get(t) ?? 0) + 1);
  });
  for (const [t, ops] of plumbCount) rows[first + t].shapeFrom = { ops, from: [...(sources[t] ?? [])].filter(Boolean) };

  const edges: [number, number, number][] = [];
  graph.nodes.forEach((n) => {
    const to = indexById.get(n.id)!;
    const seen = new Set<string>();
    for (const name of n.inputs) {
      if (!name || seen.has(name)) continue;
      seen.add(name);
      let from = producerIndex.get(name);
      if (from === undefined) {
        const v = graph.values.get(name);
        if (v?.initializer) continue; // a badge, not a box
        // Not produced here and not a declared input: captured from the enclosing graph (or dangling).
        from = add({ id: `in:${name}`, kind: 'input', op: internOp('Input'), name, scope: 0, outer: true, io: [internValue(name)] });
        producerIndex.set(name, from);
      }
      edges.push([from, to, internValue(name)]);
    }
  });
  for (const name of graph.outputs) {
    const to = add({ id: `out:${name}`, kind: 'output', op: internOp('Output'), name, scope: 0, io: [internValue(name)] });
    const from = producerIndex.get(name);
    if (from !== undefined) edges.push([from, to, internValue(name)]);
  }

  return { graph: id, name: graph.name, path, ops, scopes, scopeHints: repeatedBlockHints(scopes, rows, ops), nodes: rows, values, edges };
}

function shortName(n: Node): string {
  if (!n.name) return '';
  const parts = n.name.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? n.name;
}

/** The node's scope, with oversized flat groups split into `[a–b]` chunks in node (topological) order. */
function chunkedScopes(nodes: Node[]): string[] {
  const count = new Map<string, number>();
  for (const n of nodes) count.set(n.scope, (count.get(n.scope) ?? 0) + 1);
  const seen = new Map<string, number>();
  return nodes.map((n) => {
    const total = count.get(n.scope)!;
    if (total <= CHUNK_SIZE) return n.scope;
    const k = seen.get(n.scope) ?? 0;
    seen.set(n.scope, k + 1);
    const start = Math.floor(k / CHUNK_SIZE) * CHUNK_SIZE;
    const label = `[${start + 1}–${Math.min(start + CHUNK_SIZE, total)}]`;
    return n.scope ? `${n.scope}/${label}` : label;
  });
}

/**
 * Same structure -> same hint: a scope's signature is the sequence of (path relative to the scope, op type) of every
 * node under it, hashed. Signatures seen at least twice get a small number the view turns into a colour.
 */
function repeatedBlockHints(scopes: string[], rows: GraphNodeRow[], ops: string[]): number[] {
  const h1 = new Uint32Array(scopes.length).fill(0x811c9dc5);
  const h2 = new Uint32Array(scopes.length).fill(0x01000193);
  const size = new Uint32Array(scopes.length);
  const parent = scopes.map((s) => (s ? s.lastIndexOf('/') : -1));
  const scopeIdx = new Map(scopes.map((s, i) => [s, i]));
  for (const r of rows) {
    if (r.kind !== 'op') continue;
    const full = scopes[r.scope];
    let s = r.scope;
    for (;;) {
      if (s !== 0) {
        const rel = full.slice(scopes[s].length) + '|' + ops[r.op];
        for (let k = 0; k < rel.length; k++) {
          const c = rel.charCodeAt(k);
          h1[s] = Math.imul(h1[s] ^ c, 16777619);
          h2[s] = Math.imul(h2[s] ^ c, 2246822519) + 0x9e3779b9;
        }
        h1[s] = Math.imul(h1[s] ^ 0xff, 16777619);
        size[s]++;
      }
      if (s === 0) break;
      const cut = parent[s];
      s = cut > 0 ? scopeIdx.get(scopes[s].slice(0, cut))! : 0;
    }
  }
  const groups = new Map<string, number[]>();
  for (let s = 1; s < scopes.length; s++) {
    if (size[s] < 2) continue;
    const key = `${h1[s]}:${h2[s]}:${size[s]}`;
    const list = groups.get(key);
    if (list) list.push(s);
    else groups.set(key, [s]);
  }
  const hints = new Array<number>(scopes.length).fill(-1);
  let next = 0;
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    for (const s of list) hints[s] = next;
    next++;
  }
  return hints;
}
