import { ModelError } from '../../model/errors';
import type { Graph, Node, Value } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { onnx } from 'onnx-proto';
import type { Pacer } from '../pace';
import { convertAttributes } from './attributes';
import { assignOnnxRoles } from './roles';
import { convertSparse } from './sparse';
import { convertTensor, type TensorContext } from './tensor';
import { tensorTypeOf } from './types';

/** Subgraphs deeper than this are a corrupt or hostile file, not a model. */
export const MAX_SUBGRAPH_DEPTH = 64;

/**
 * Grouping path from a node name that looks like a path: "/encoder/layer.3/attn/MatMul" → "encoder/layer.3/attn".
 * Names without '/' carry no grouping.
 */
export function scopeOf(name: string): string {
  if (!name.includes('/')) return '';
  const parts = name.split('/').filter((p) => p !== '');
  return parts.slice(0, -1).join('/');
}

function declaredValue(vi: onnx.IValueInfoProto): Value {
  const { dtype, shape } = tensorTypeOf(vi.type);
  return { name: vi.name ?? '', dtype, shape, consumers: [] };
}

/**
 * GraphProto → IR Graph. Node ids are `n<i>` in the main graph and `<parentId>/<attr>/n<i>` below it, so they are
 * unique across the model and stable between opens.
 */
export function convertGraph(g: onnx.IGraphProto, ctx: TensorContext, prefix = '', depth = 0): Graph {
  if (depth > MAX_SUBGRAPH_DEPTH) {
    throw new ModelError(ctx.file, `nests subgraphs more than ${MAX_SUBGRAPH_DEPTH} levels deep (at ${prefix.replace(/\/$/, '')}); the file is corrupt or hostile`);
  }
  const initializers: Tensor[] = (g.initializer ?? []).map((t, i) => convertTensor(t, ctx, t.name || `${prefix}initializer${i}`));
  for (const s of g.sparseInitializer ?? []) initializers.push(convertSparse(s, ctx));
  const nodes = convertNodes(g.node ?? [], ctx, prefix, depth);
  return linkOnnxGraph(g, nodes, initializers);
}

function convertNodes(protos: onnx.INodeProto[], ctx: TensorContext, prefix: string, depth: number): Node[] {
  return protos.map((np, i) => convertNode(np, i, ctx, prefix, depth));
}

function convertNode(np: onnx.INodeProto, i: number, ctx: TensorContext, prefix: string, depth: number): Node {
  const id = `${prefix}n${i}`;
  const outputs = np.output ?? [];
  const { attributes, subgraphs } = convertAttributes(np.attribute, {
    ...ctx,
    subgraph: (sg, key) => convertGraph(sg, ctx, `${id}/${key}/`, depth + 1),
  }, { opType: np.opType ?? '', outputs, nodeId: id });
  const name = np.name ?? '';
  const node: Node = {
    id, opType: np.opType ?? '', domain: normalDomain(np.domain), name, scope: scopeOf(name),
    inputs: np.input ?? [], outputs, attributes, subgraphs,
  };
  return np.docString ? { ...node, doc: np.docString } : node;
}

/**
 * The main graph, like `convertGraph`, but pausing through `pacer` between nodes and initializers so a huge graph
 * can be cancelled (subgraphs inside a node are small and converted in one go).
 */
export async function convertGraphPaced(g: onnx.IGraphProto, ctx: TensorContext, pacer: Pacer): Promise<Graph> {
  const initializers: Tensor[] = [];
  for (const [i, t] of (g.initializer ?? []).entries()) {
    initializers.push(convertTensor(t, ctx, t.name || `initializer${i}`));
    const p = pacer.tick();
    if (p) await p;
  }
  for (const s of g.sparseInitializer ?? []) initializers.push(convertSparse(s, ctx));
  const nodes: Node[] = [];
  for (const [i, np] of (g.node ?? []).entries()) {
    nodes.push(convertNode(np, i, ctx, '', 0));
    const p = pacer.tick();
    if (p) await p;
  }
  await pacer.pause();
  return linkOnnxGraph(g, nodes, initializers);
}

/** "ai.onnx" is the default domain spelled out; the IR uses '' for it. */
export function normalDomain(d: string | null | undefined): string {
  return !d || d === 'ai.onnx' ? '' : d;
}

/** Model-local function → Graph named "domain:name"; its inputs/outputs are plain names (no types in ONNX). */
export function convertFunction(f: onnx.IFunctionProto, ctx: TensorContext, id: string): Graph {
  const nodes = convertNodes(f.node ?? [], ctx, `${id}/`, 1);
  const graph = linkGraph({
    name: `${f.domain ?? ''}:${f.name ?? ''}`,
    nodes,
    declared: [],
    inputs: f.input ?? [],
    outputs: f.output ?? [],
    initializers: [],
  });
  return { ...graph, attributes: f.attribute ?? [] };
}

/** Wires converted nodes and initializers with the graph's declared inputs, outputs and value infos. */
function linkOnnxGraph(g: onnx.IGraphProto, nodes: Node[], initializers: Tensor[]): Graph {
  const declared = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])].map(declaredValue);
  const graph = linkGraph({
    name: g.name ?? '',
    nodes,
    declared,
    inputs: (g.input ?? []).map((v) => v.name ?? ''),
    outputs: (g.output ?? []).map((v) => v.name ?? ''),
    initializers,
  });
  assignOnnxRoles(graph);
  return graph;
}
