import { onnx } from 'onnx-proto';
import type { Attribute, Model, Node } from '../../model/graph';
import type { Tensor } from '../../model/tensor';
import type { DType } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import { allocData } from '../../formats/arrays/ndarray';
import type { LensPlan } from './lens-pattern';

/** IR dtype → ONNX TensorProto.DataType. */
const CODES: Partial<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
  uint32: 12, uint64: 13, bfloat16: 16,
};

function code(path: string, t: { name: string; dtype: DType }): number {
  const c = CODES[t.dtype];
  if (!c) throw new ModelError(path, `tensor "${t.name}" has type ${t.dtype}, which the logit lens cannot copy`);
  return c;
}

/** A weight of the model, with its bytes, as a TensorProto (raw little-endian data). */
async function tensorProto(path: string, t: Tensor, name = t.name): Promise<onnx.ITensorProto> {
  let raw: Uint8Array;
  if (t.data) {
    raw = await t.data.read(0, t.data.byteLength);
  } else if (t.values && t.dtype !== 'float16' && t.dtype !== 'bfloat16') {
    const out = allocData(t.dtype, t.elementCount);
    if (!out || Array.isArray(out)) throw new ModelError(path, `tensor "${t.name}" has type ${t.dtype}, which the logit lens cannot copy`);
    const v = t.values as ArrayLike<number | bigint>;
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
    for (let i = 0; i < t.elementCount; i++) (out as unknown as (number | bigint)[])[i] = big ? BigInt(v[i]) : Number(v[i]);
    raw = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } else {
    throw new ModelError(path, `tensor "${t.name}" has no data${t.problem ? ` (${t.problem})` : ''}`);
  }
  return { name, dims: t.shape, dataType: code(path, t), rawData: raw };
}

const utf8 = (s: string) => new TextEncoder().encode(s);

async function attributeProto(path: string, n: Node, a: Attribute): Promise<onnx.IAttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  const v = a.value;
  switch (v.type) {
    case 'float': return { name: a.name, type: T.FLOAT, f: v.value };
    case 'int': return { name: a.name, type: T.INT, i: v.value };
    case 'string': return { name: a.name, type: T.STRING, s: utf8(v.value) };
    case 'floats': return { name: a.name, type: T.FLOATS, floats: v.value };
    case 'ints': return { name: a.name, type: T.INTS, ints: v.value };
    case 'strings': return { name: a.name, type: T.STRINGS, strings: v.value.map(utf8) };
    case 'tensor': return { name: a.name, type: T.TENSOR, t: await tensorProto(path, v.value) };
    default: throw new ModelError(path, `node ${n.name || n.id} has a ${v.type} attribute "${a.name}", which the logit lens cannot copy`);
  }
}

/**
 * The model's final norm and unembedding alone, as a small ONNX model with the real weights: the residual in
 * (as the graph names it), the logits out. Built in memory; the logit lens runs each block's residual through it.
 */
export async function lensHeadModel(model: Model, plan: LensPlan, types: { residual: DType; logits: DType }): Promise<Uint8Array> {
  const g = model.graph;
  const nodes: onnx.INodeProto[] = [];
  for (const n of plan.head) {
    nodes.push({
      opType: n.opType,
      domain: n.domain,
      name: n.name,
      input: n.inputs,
      output: n.outputs,
      attribute: await Promise.all(n.attributes.map((a) => attributeProto(model.path, n, a))),
    });
  }
  const byName = new Map(g.initializers.map((t) => [t.name, t]));
  const initializer: onnx.ITensorProto[] = [];
  for (const w of plan.weights) {
    const t = byName.get(w);
    if (!t) throw new ModelError(model.path, `the logit lens needs "${w}", which is neither a weight nor computed by the model's head`);
    initializer.push(await tensorProto(model.path, t));
  }
  const elem = (name: string, dtype: DType) => code(model.path, { name, dtype });
  const proto: onnx.IModelProto = {
    irVersion: model.irVersion ?? 8,
    producerName: 'model-inspector logit lens',
    opsetImport: model.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    graph: {
      name: 'lens_head',
      node: nodes,
      initializer,
      input: [{ name: plan.residual, type: { tensorType: { elemType: elem(plan.residual, types.residual) } } }],
      output: [{ name: plan.logits, type: { tensorType: { elemType: elem(plan.logits, types.logits) } } }],
    },
  };
  return onnx.ModelProto.encode(proto).finish();
}
