// Generates transformer-like ONNX models for the graph bench: scoped node names (/encoder/layer.N/attn/MatMul),
// identical repeated layers, real (small) weights, and value_info so edges carry dtype and shape.
// `node --import tsx scripts/bench/make-transformer.ts <nodes> <out.onnx>` writes one.
import { writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';

const FLOAT = 1;
const INT64 = 7;

interface Builder {
  nodes: onnx.INodeProto[];
  inits: onnx.ITensorProto[];
  infos: onnx.IValueInfoProto[];
}

function tensorType(elemType: number, dims: (number | string)[]): onnx.ITypeProto {
  return { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } };
}

/** Nodes per layer produced by `layer` below; the generator picks the layer count from the target node count. */
export const NODES_PER_LAYER = 49;

export function makeTransformer(targetNodes: number, hidden = 16, ffn = 64): Uint8Array {
  const layers = Math.max(1, Math.round((targetNodes - 8) / NODES_PER_LAYER));
  const b: Builder = { nodes: [], inits: [], infos: [] };
  let seq = 0;
  const weight = (name: string, dims: number[]): string => {
    const n = dims.reduce((a, x) => a * x, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898 + seq * 78.233) * 0.05;
    seq++;
    b.inits.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const shapeConst = (name: string, values: number[]): string => {
    b.inits.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  };
  const op = (scope: string, opType: string, inputs: string[], attrs: onnx.IAttributeProto[] = [], shape?: (number | string)[]): string => {
    const name = `/${scope}/${opType}_${seq++}`;
    const out = `${name}_output_0`;
    b.nodes.push({ name, opType, input: inputs, output: [out], attribute: attrs });
    if (shape) b.infos.push({ name: out, type: tensorType(FLOAT, shape) });
    return out;
  };
  const H = ['batch', 'seq', hidden];
  const layerNorm = (scope: string, x: string): string => {
    const mean = op(scope, 'ReduceMean', [x], [{ name: 'axes', type: 7, ints: [-1] }]);
    const d = op(scope, 'Sub', [x, mean], [], H);
    const sq = op(scope, 'Pow', [d, shapeConst(`${scope}/two`, [2])]);
    const v = op(scope, 'ReduceMean', [sq], [{ name: 'axes', type: 7, ints: [-1] }]);
    const e = op(scope, 'Add', [v, weight(`${scope}/eps`, [1])]);
    const s = op(scope, 'Sqrt', [e]);
    const n = op(scope, 'Div', [d, s], [], H);
    const g = op(scope, 'Mul', [n, weight(`${scope}/gamma`, [hidden])]);
    return op(scope, 'Add', [g, weight(`${scope}/beta`, [hidden])], [], H);
  };
  const linear = (scope: string, x: string, i: number, o: number, shape: (number | string)[]): string =>
    op(scope, 'Add', [op(scope, 'MatMul', [x, weight(`${scope}/W${seq}`, [i, o])]), weight(`${scope}/b${seq}`, [o])], [], shape);
  const layer = (p: string, x: string): string => {
    const a = `${p}/attn`;
    const h = layerNorm(`${a}/ln`, x);
    const heads = (t: string) => op(a, 'Transpose', [op(a, 'Reshape', [t, shapeConst(`${a}/hs${seq}`, [0, 0, 2, hidden / 2])])], [{ name: 'perm', type: 7, ints: [0, 2, 1, 3] }]);
    const q = heads(linear(`${a}/q`, h, hidden, hidden, H));
    const k = heads(linear(`${a}/k`, h, hidden, hidden, H));
    const v = heads(linear(`${a}/v`, h, hidden, hidden, H));
    const scores = op(a, 'Div', [op(a, 'MatMul', [q, op(a, 'Transpose', [k], [{ name: 'perm', type: 7, ints: [0, 1, 3, 2] }])]), weight(`${a}/scale`, [1])]);
    const probs = op(a, 'Softmax', [scores], [{ name: 'axis', type: 2, i: -1 }]);
    const ctx = op(a, 'Reshape', [op(a, 'Transpose', [op(a, 'MatMul', [probs, v])], [{ name: 'perm', type: 7, ints: [0, 2, 1, 3] }]), shapeConst(`${a}/cs${seq}`, [0, 0, hidden])], [], H);
    const attnOut = linear(`${a}/out`, ctx, hidden, hidden, H);
    const r1 = op(p, 'Add', [x, attnOut], [], H);
    const f = `${p}/ffn`;
    const h2 = layerNorm(`${f}/ln`, r1);
    const up = linear(`${f}/up`, h2, hidden, ffn, ['batch', 'seq', ffn]);
    const gelu = op(f, 'Mul', [op(f, 'Add', [op(f, 'Erf', [op(f, 'Div', [up, weight(`${f}/sqrt2`, [1])])]), weight(`${f}/one`, [1])]), up]);
    const down = linear(`${f}/down`, gelu, ffn, hidden, H);
    return op(p, 'Add', [r1, down], [], H);
  };
  let x = op('embeddings', 'Gather', [weight('/embeddings/word', [100, hidden]), 'input_ids'], [], H);
  x = op('embeddings', 'Add', [x, weight('/embeddings/position', [1, 1, hidden])], [], H);
  for (let l = 0; l < layers; l++) x = layer(`encoder/layer.${l}`, x);
  x = layerNorm('final_ln', x);
  const logits = op('head', 'MatMul', [x, weight('/head/W', [hidden, 2])], [], ['batch', 'seq', 2]);
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'model-inspector-bench',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: `transformer_${layers}l`,
      node: b.nodes,
      initializer: b.inits,
      input: [{ name: 'input_ids', type: tensorType(INT64, ['batch', 'seq']) }],
      output: [{ name: logits, type: tensorType(FLOAT, ['batch', 'seq', 2]) }],
      valueInfo: b.infos,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

if (require.main === module) {
  const [n, out] = process.argv.slice(2);
  if (!n || !out) {
    console.error('usage: make-transformer.ts <nodes> <out.onnx>');
    process.exit(2);
  }
  writeFileSync(out, makeTransformer(Number(n)));
}
