import type { AttributeValue, Graph, Model } from '../model/graph';
import { ModelError } from '../model/errors';
import { formatShape } from '../model/shape';
import type { GraphId, GraphNodeDetails, GraphTensorInfo } from '../protocol/graph';
import { toWireShape } from '../formats/summarize';
import { resolveGraph } from './graph-payload';

const MAX_LIST = 16;
const MAX_TEXT = 400;

/** The properties sidebar's view of one node: readable attributes, tensors with dtype/shape, weights, bodies. */
export function buildNodeDetails(model: Model, graphId: GraphId, nodeId: string): GraphNodeDetails {
  const { graph } = resolveGraph(model, graphId);
  const node = graph.nodes.find((n) => n.id === nodeId);
  if (!node) throw new ModelError(model.path, `has no node "${nodeId.slice(0, 200)}" in this graph`);
  const details: GraphNodeDetails = {
    id: node.id,
    opType: node.opType,
    domain: node.domain,
    name: node.name,
    scope: node.scope,
    attributes: node.attributes.map((a) => ({ name: a.name, type: a.value.type, value: formatAttribute(a.value) })),
    inputs: node.inputs.filter(Boolean).map((n) => tensorInfo(graph, n)),
    outputs: node.outputs.filter(Boolean).map((n) => tensorInfo(graph, n)),
    subgraphs: node.subgraphs.map((s, i) => ({ graph: `${node.id}:${i}`, attribute: s.attribute, name: s.graph.name, nodeCount: s.graph.nodes.length })),
  };
  if (node.doc) details.doc = node.doc.slice(0, 2000);
  return details;
}

function tensorInfo(graph: Graph, name: string): GraphTensorInfo {
  const v = graph.values.get(name);
  const info: GraphTensorInfo = { name };
  if (v?.dtype) info.dtype = v.dtype;
  if (v?.shape) info.shape = toWireShape(v.shape);
  if (v?.initializer) info.weight = { elementCount: v.initializer.elementCount, location: v.initializer.origin ?? v.initializer.location };
  else {
    // An Identity of a weight (torch.onnx's shared weights) folds into this node on the graph: link the weight itself.
    const p = v?.producer !== undefined ? graph.nodes.find((n) => n.id === v.producer) : undefined;
    const w = p?.opType === 'Identity' ? graph.values.get(p.inputs[0])?.initializer : undefined;
    if (w) {
      info.weight = { elementCount: w.elementCount, location: w.origin ?? w.location, tensor: w.name };
      info.dtype ??= w.dtype;
      info.shape ??= w.shape;
    }
  }
  return info;
}

function list(xs: readonly (number | string)[], fmt: (x: number | string) => string = String): string {
  const head = xs.slice(0, MAX_LIST).map(fmt).join(', ');
  return `[${head}${xs.length > MAX_LIST ? `, … (${xs.length} total)` : ''}]`;
}

const num = (x: number | string): string => (typeof x === 'number' && !Number.isInteger(x) ? String(Number(x.toPrecision(6))) : String(x));

/** One line a person can read; long lists, tensors and graphs are summarised, never dumped. */
export function formatAttribute(v: AttributeValue): string {
  switch (v.type) {
    case 'float':
    case 'int':
      return num(v.value);
    case 'string':
      return JSON.stringify(v.value.length > MAX_TEXT ? v.value.slice(0, MAX_TEXT) + '…' : v.value);
    case 'floats':
    case 'ints':
      return list(v.value, num);
    case 'strings':
      return list(v.value.map((s) => JSON.stringify(s)));
    case 'tensor':
      return `tensor ${v.value.dtype} ${formatShape(v.value.shape)}`;
    case 'tensors':
      return `${v.value.length} tensors`;
    case 'graph':
      return `graph "${v.value.name}" (${v.value.nodes.length} nodes)`;
    case 'graphs':
      return `${v.value.length} graphs`;
    case 'type':
    case 'ref':
      return v.value;
    case 'json': {
      const s = JSON.stringify(v.value) ?? 'null';
      return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) + '…' : s;
    }
  }
}
