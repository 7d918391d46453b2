import type { Model, Node } from '../../model/graph';
import { dynamicInputs, indexGraph, isResidualAdd, nodeLabel, type GraphIndex } from './attention-graph';
import { findAttention } from './attention-pattern';

/** The residual stream after one block. */
export interface LensPoint {
  index: number;
  value: string;
  nodeId: string;
  node: string;
}

/**
 * What the logit lens needs from the graph: the residual stream after each block, and the head that turns the last
 * residual into logits (final norm + unembedding), as the nodes between the two, to be run on each block's residual.
 */
export interface LensPlan {
  points: LensPoint[];
  /** The value the head reads: the residual after the last block. */
  residual: string;
  logits: string;
  /** The head's nodes, in graph order; their other inputs are weights or constants. */
  head: Node[];
  /** Initializers the head reads. */
  weights: string[];
  norm: string;
  unembedding: string;
  notes: string[];
}

const PASS_THROUGH = new Set(['Reshape', 'Cast', 'Identity', 'Squeeze', 'Unsqueeze', 'Add', 'Mul', 'Div', 'Tanh', 'Softcap']);

/** The lm_head: walking back from the logits through reshapes, bias, scaling, a MatMul/Gemm of an activation by a weight. */
function unembeddingOf(ix: GraphIndex, logits: string): Node | undefined {
  let v = logits;
  for (let depth = 0; depth < 6; depth++) {
    const p = ix.producer.get(v);
    if (!p) return undefined;
    const dyn = dynamicInputs(ix, p);
    if ((p.opType === 'MatMul' || p.opType === 'Gemm') && dyn.length === 1) return p;
    if (!PASS_THROUGH.has(p.opType) || dyn.length !== 1) return undefined;
    v = dyn[0];
  }
  return undefined;
}

/** The residual the final norm reads: the first Add of two activations above the unembedding's input. */
function finalResidual(ix: GraphIndex, from: string): string | undefined {
  const queue = [from];
  const seen = new Set<string>();
  while (queue.length) {
    const v = queue.shift()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = ix.producer.get(v);
    if (!p) continue;
    if (isResidualAdd(ix, p)) return v;
    if (seen.size > 64) return undefined;
    queue.push(...dynamicInputs(ix, p));
  }
  return undefined;
}

/** Of a residual Add's two inputs, the stream that skips the block (the other is the block's branch). */
function skipInput(ix: GraphIndex, add: Node): { skip: string; branch: string } {
  const [a, b] = dynamicInputs(ix, add);
  const score = (v: string) => (isResidualAdd(ix, ix.producer.get(v)) ? 2 : 0) + ((ix.consumers.get(v)?.length ?? 0) > 1 ? 1 : 0);
  return score(a) >= score(b) ? { skip: a, branch: b } : { skip: b, branch: a };
}

/** Nodes that compute `value`, stopping at `stop` values, and whether they also read a graph input. */
function computing(ix: GraphIndex, value: string, stop: Set<string>): { nodes: Set<Node>; readsInputs: boolean } {
  const nodes = new Set<Node>();
  let readsInputs = false;
  const stack = [value];
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v) || stop.has(v)) continue;
    seen.add(v);
    const p = ix.producer.get(v);
    if (!p) {
      if (ix.graph.inputs.includes(v)) readsInputs = true;
      continue; // else a weight
    }
    nodes.add(p);
    for (const i of p.inputs) if (i) stack.push(i);
  }
  return { nodes, readsInputs };
}

function describeNorm(head: Node[]): string {
  const ops = new Set(head.map((n) => n.opType));
  if (ops.has('LayerNormalization')) return 'LayerNormalization';
  if (ops.has('SimplifiedLayerNormalization') || ops.has('RMSNormalization')) return 'RMSNorm';
  if (ops.has('ReduceMean') && ops.has('Sub')) return 'LayerNorm (ReduceMean, Sub, Pow, Sqrt, Div written out)';
  if (ops.has('ReduceMean')) return 'RMSNorm (ReduceMean of squares, Sqrt written out)';
  return 'none found';
}

/**
 * The logit lens's plan, found from the graph: the unembedding (MatMul/Gemm by a weight, which may be the tied
 * embedding), the final norm above it, the chain of residual Adds feeding that norm, and which of those Adds close
 * a block (the Add before the next block's attention Add; the last block's is the one the norm reads).
 */
export function planLens(model: Model, logits: string): LensPlan | string {
  if (model.format === 'gguf') return 'The logit lens is unavailable for GGUF models: llama.cpp exposes no residual stream.';
  if (model.format !== 'onnx') return `The logit lens reads ONNX graphs; this is a ${model.format} model.`;
  const ix = indexGraph(model.graph);
  const unembed = unembeddingOf(ix, logits);
  if (!unembed) return `The logit lens is unavailable: the logits ${logits} do not come from a MatMul or Gemm of an activation by a weight (the unembedding).`;
  const residual = finalResidual(ix, dynamicInputs(ix, unembed)[0]);
  if (!residual) return 'The logit lens is unavailable: no residual stream (an Add of two activations) was found above the final norm.';
  const { nodes: headNodes, readsInputs } = computing(ix, logits, new Set([residual]));
  if (readsInputs) return 'The logit lens is unavailable: the final norm and unembedding also read the model\'s inputs, not only the residual stream.';
  const head = [...headNodes].sort((a, b) => ix.order.get(a.id)! - ix.order.get(b.id)!);
  if (head.some((n) => n.subgraphs.length)) return 'The logit lens is unavailable: the final norm or unembedding holds a subgraph.';
  const weights = [...new Set(head.flatMap((n) => n.inputs).filter((v) => v && !ix.producer.has(v) && v !== residual))];

  // the residual chain, last block first
  const chain: Node[] = [];
  const branches: string[] = [];
  let add = ix.producer.get(residual);
  const chainValues = new Set<string>();
  while (isResidualAdd(ix, add) && chain.length < 4096) {
    chain.push(add);
    chainValues.add(add.outputs[0]);
    const { skip, branch } = skipInput(ix, add);
    branches.push(branch);
    add = ix.producer.get(skip);
  }
  chain.reverse();
  branches.reverse();
  const found = findAttention(model);
  const softmaxIds = new Set('sites' in found ? found.sites.map((s) => s.nodeId) : []);
  const stopAt = new Set([...chainValues, ...(add?.outputs ?? [])]);
  // an Add whose branch holds an attention Softmax opens a block (its attention half)
  const opens = chain.map((_, k) => {
    const { nodes } = computing(ix, branches[k], stopAt);
    return [...nodes].some((n) => softmaxIds.has(n.id));
  });
  const notes: string[] = [];
  let closing: Node[];
  const starts = opens.flatMap((o, k) => (o ? [k] : []));
  if (starts.length) {
    closing = starts.map((_, i) => (i + 1 < starts.length ? chain[starts[i + 1] - 1] : chain[chain.length - 1])).filter((n) => !!n);
  } else {
    // no attention found: every residual Add is a point of the stream (a block may hold several)
    closing = chain;
    notes.push('no attention was found to mark where blocks start: every residual Add is shown as a layer');
  }
  const points = closing.map((n, index) => ({ index, value: n.outputs[0], nodeId: n.id, node: nodeLabel(n) }));
  return { points, residual, logits, head, weights, norm: describeNorm(head), unembedding: nodeLabel(unembed), notes };
}
