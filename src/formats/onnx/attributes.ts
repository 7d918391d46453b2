import type { Attribute, AttributeValue, Graph } from '../../model/graph';
import type { Tensor, TensorLocation } from '../../model/tensor';
import type { onnx } from 'onnx-proto';
import { convertSparse } from './sparse';
import { convertTensor, type TensorContext } from './tensor';
import { int64Value, typeString, type Int64 } from './types';

/** AttributeProto.AttributeType codes (stable since ONNX 1.0). */
const T = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14 } as const;

export interface AttributeContext extends TensorContext {
  /** Maps a graph attribute; `key` names it within the node ("then_branch", "body", "graphs.1"). */
  subgraph(g: onnx.IGraphProto, key: string): Graph;
}

const utf8 = new TextDecoder('utf-8');

/**
 * float attributes travel as float32; the shortest decimal that round-trips float32 shows 0.1 instead of
 * 0.10000000149011612, which is what the model's author wrote.
 */
export function float32Value(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const c = Number(v.toPrecision(p));
    if (Math.fround(c) === v) return c;
  }
  return v;
}

/** Old models (IR < 2) leave `type` unset; infer it from whichever field holds data. */
function inferType(a: onnx.IAttributeProto): number {
  if (a.floats?.length) return T.FLOATS;
  if (a.ints?.length) return T.INTS;
  if (a.strings?.length) return T.STRINGS;
  if (a.tensors?.length) return T.TENSORS;
  if (a.graphs?.length) return T.GRAPHS;
  if (a.t) return T.TENSOR;
  if (a.g) return T.GRAPH;
  if (a.s?.length) return T.STRING;
  if (a.f) return T.FLOAT;
  return T.INT;
}

/** Converts a node's attributes; tensors become IR Tensors (Constant's value → location 'constant-node'). */
export function convertAttributes(
  attrs: onnx.IAttributeProto[] | null | undefined,
  ctx: AttributeContext,
  owner: { opType: string; outputs: string[]; nodeId: string },
): { attributes: Attribute[]; subgraphs: { attribute: string; graph: Graph }[] } {
  const attributes: Attribute[] = [];
  const subgraphs: { attribute: string; graph: Graph }[] = [];
  const tensorLocation: TensorLocation = owner.opType === 'Constant' ? 'constant-node' : 'inline';
  // A Constant's tensor is the value its output names, so it takes that name; other attribute tensors keep theirs.
  const tensor = (tp: onnx.ITensorProto, name: string, preferred: string): Tensor =>
    convertTensor(tp, ctx, preferred || tp.name || `${owner.nodeId}.${name}`, tensorLocation);

  for (const a of attrs ?? []) {
    const name = a.name ?? '';
    let value: AttributeValue;
    if (a.refAttrName) {
      attributes.push({ name, value: { type: 'ref', value: a.refAttrName } });
      continue;
    }
    switch (a.type || inferType(a)) {
      case T.FLOAT: value = { type: 'float', value: float32Value(a.f ?? 0) }; break;
      case T.INT: value = { type: 'int', value: int64Value(a.i as Int64) }; break;
      case T.STRING: value = { type: 'string', value: utf8.decode(a.s ?? new Uint8Array(0)) }; break;
      case T.FLOATS: value = { type: 'floats', value: (a.floats ?? []).map(float32Value) }; break;
      case T.INTS: value = { type: 'ints', value: (a.ints ?? []).map((x) => int64Value(x as Int64)) }; break;
      case T.STRINGS: value = { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) }; break;
      case T.TENSOR: value = { type: 'tensor', value: tensor(a.t ?? {}, name, owner.opType === 'Constant' ? owner.outputs[0] ?? '' : '') }; break;
      case T.TENSORS: value = { type: 'tensors', value: (a.tensors ?? []).map((t, k) => tensor(t, `${name}.${k}`, '')) }; break;
      case T.SPARSE_TENSOR: value = { type: 'tensor', value: sparseAs(convertSparse(a.sparseTensor ?? {}, ctx), owner.outputs[0]) }; break;
      case T.SPARSE_TENSORS: value = { type: 'tensors', value: (a.sparseTensors ?? []).map((s) => convertSparse(s, ctx)) }; break;
      case T.GRAPH: {
        const g = ctx.subgraph(a.g ?? {}, name);
        subgraphs.push({ attribute: name, graph: g });
        value = { type: 'graph', value: g };
        break;
      }
      case T.GRAPHS: {
        const gs = (a.graphs ?? []).map((g, k) => ctx.subgraph(g, `${name}.${k}`));
        for (const g of gs) subgraphs.push({ attribute: name, graph: g });
        value = { type: 'graphs', value: gs };
        break;
      }
      case T.TYPE_PROTO: value = { type: 'type', value: typeString(a.tp) }; break;
      case T.TYPE_PROTOS: value = { type: 'strings', value: (a.typeProtos ?? []).map((t) => typeString(t)) }; break;
      default: value = { type: 'string', value: `(unsupported attribute type ${a.type})` };
    }
    attributes.push({ name, value });
  }
  return { attributes, subgraphs };
}

/** A Constant's sparse_value is named after the node output when the proto leaves the name empty. */
function sparseAs(t: Tensor, output: string | undefined): Tensor {
  return t.name === '(sparse)' && output ? { ...t, name: output } : t;
}
