import type { Model, Node } from '../../model/graph';
import { dynamicInputs, indexGraph, intAttr, nodeLabel, type GraphIndex } from './attention-graph';

/** One layer's attention probabilities in the graph: the value to read and the node that writes it. */
export interface AttentionSite {
  /** 0-based, in graph order. */
  index: number;
  /** The value holding the probabilities, [B, H, T, Tk] (or [B·H, T, Tk]). */
  value: string;
  nodeId: string;
  /** The node's name as users see it. */
  node: string;
  scope: string;
}

export type AttentionSites = { sites: AttentionSite[]; notes: string[] } | { unavailable: string };

/** Fused attention kernels of onnxruntime's contrib domain: none outputs its probabilities. */
const FUSED = new Set([
  'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'PackedMultiHeadAttention',
  'DecoderMaskedMultiHeadAttention', 'DecoderMaskedSelfAttention', 'DecoderAttention', 'SparseAttention',
  'LongformerAttention', 'QAttention', 'QOrderedAttention', 'RelativePositionBias',
]);

/** What may lie between the QKᵀ MatMul and the Softmax: scaling, masking (additive or Where), casts, reshapes. */
const SCORE_GLUE = new Set(['Div', 'Mul', 'Add', 'Sub', 'Where', 'Cast', 'Reshape', 'Clip', 'Tanh', 'Min', 'Max']);
/** What may lie between the Softmax and the MatMul with V. */
const PROB_GLUE = new Set(['Cast', 'Dropout', 'Reshape', 'Identity', 'Where']);

/** A MatMul (or Einsum) of two activations: the scores Q·Kᵀ. */
function isQk(n: Node | undefined, ix: GraphIndex): boolean {
  return !!n && (n.opType === 'MatMul' || n.opType === 'Einsum') && n.domain === '' && dynamicInputs(ix, n).length === 2;
}

/** Walks back from the Softmax's input through scale and mask ops to a QKᵀ MatMul (a few steps at most). */
function fedByQk(ix: GraphIndex, value: string, depth: number): boolean {
  const p = ix.producer.get(value);
  if (!p || !ix.dynamic.has(value)) return false;
  if (isQk(p, ix)) return true;
  if (depth === 0 || !SCORE_GLUE.has(p.opType) || p.domain !== '') return false;
  return dynamicInputs(ix, p).some((v) => fedByQk(ix, v, depth - 1));
}

/** The probabilities reach a MatMul with another activation (the values V). */
function weighsValues(ix: GraphIndex, value: string, depth: number): boolean {
  for (const c of ix.consumers.get(value) ?? []) {
    if (c.domain !== '') continue;
    if ((c.opType === 'MatMul' || c.opType === 'Einsum') && dynamicInputs(ix, c).length === 2) return true;
    if (depth > 0 && PROB_GLUE.has(c.opType) && c.outputs[0] && weighsValues(ix, c.outputs[0], depth - 1)) return true;
  }
  return false;
}

/** Softmax over the last axis: -1, or 3 of a [B, H, T, Tk] input. Before opset 13 only an explicit last axis. */
function lastAxis(model: Model, n: Node): boolean {
  const opset = model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
  const axis = intAttr(n, 'axis', opset >= 13 ? -1 : 1);
  const rank = model.graph.values.get(n.inputs[0])?.shape?.length;
  if (axis === -1) return true;
  return rank === undefined ? axis === 3 : axis === rank - 1;
}

/**
 * Each layer's attention probabilities, found by the graph's pattern, never by names: a Softmax over the last axis
 * whose input comes (through scale and mask ops) from a MatMul of two activations (Q·Kᵀ) and whose output multiplies
 * another activation (V). This is what torch and Hugging Face exports with eager attention produce. Fused attention
 * kernels keep their probabilities inside: the answer is then a sentence saying so, as for formats other than ONNX.
 */
export function findAttention(model: Model): AttentionSites {
  if (model.format === 'gguf') {
    return { unavailable: 'Attention maps are unavailable for GGUF models: llama.cpp computes attention inside its kernels and exposes no attention probabilities.' };
  }
  if (model.format !== 'onnx') {
    return { unavailable: `Attention maps are read from ONNX graphs; this is a ${model.format} model.` };
  }
  const ix = indexGraph(model.graph);
  const sites: AttentionSite[] = [];
  const fused = new Map<string, number>();
  for (const n of model.graph.nodes) {
    let value: string | undefined;
    if (n.opType === 'Softmax' && n.domain === '' && n.outputs[0]) {
      if (lastAxis(model, n) && fedByQk(ix, n.inputs[0], 8) && weighsValues(ix, n.outputs[0], 3)) value = n.outputs[0];
    } else if (n.opType === 'Attention' && n.domain === '') {
      // ONNX Attention (opset 23): its optional 4th output holds the probabilities when qk_matmul_output_mode is 3.
      if (n.outputs[3] && intAttr(n, 'qk_matmul_output_mode', 0) === 3) value = n.outputs[3];
      else fused.set('Attention (ONNX opset 23, without its probabilities output)', (fused.get('Attention (ONNX opset 23, without its probabilities output)') ?? 0) + 1);
    } else if (n.domain === 'com.microsoft' && FUSED.has(n.opType)) {
      fused.set(`com.microsoft ${n.opType}`, (fused.get(`com.microsoft ${n.opType}`) ?? 0) + 1);
    }
    if (value) sites.push({ index: sites.length, value, nodeId: n.id, node: nodeLabel(n), scope: n.scope });
  }
  const fusedText = [...fused].map(([k, c]) => `${c} ${k} node${c === 1 ? '' : 's'}`).join(', ');
  if (!sites.length) {
    if (fused.size) {
      return { unavailable: `Attention maps are unavailable: this model computes attention inside fused kernels (${fusedText}), which do not output their attention probabilities. Export it with eager attention (e.g. attn_implementation="eager", without onnxruntime's transformer fusion) to see them.` };
    }
    return { unavailable: 'Attention maps are unavailable: no attention was found in the graph (a Softmax over the last axis fed by a MatMul of queries and transposed keys, whose output multiplies the values).' };
  }
  const notes = fused.size ? [`some attention is fused (${fusedText}) and shows no maps`] : [];
  return { sites, notes };
}
