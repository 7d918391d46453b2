import type { Graph } from '../../model/graph';
import type { Tensor, TensorRole } from '../../model/tensor';

/**
 * ONNX stores every constant operand as an initializer: weights, but also Reshape's target shape, Pad's pads,
 * Slice's bounds, Resize's scales, quantization scales and zero points. Which ops read an initializer, at which input,
 * says which it is. Positions are the ONNX operator schemas' (and onnxruntime's com.microsoft contrib ops').
 */

/** Inputs that hold a layer's (possibly quantized, so integer) weights or bias. */
const WEIGHT_INPUTS: Record<string, number[]> = {
  Conv: [1, 2], ConvTranspose: [1, 2], Gemm: [0, 1, 2], MatMul: [0, 1],
  DequantizeLinear: [0], QLinearConv: [3, 8], QLinearMatMul: [3], ConvInteger: [1], MatMulInteger: [1],
  Gather: [0], GatherElements: [0], LSTM: [1, 2, 3], GRU: [1, 2, 3], RNN: [1, 2, 3],
  BatchNormalization: [1, 2], InstanceNormalization: [1, 2], LayerNormalization: [1, 2], GroupNormalization: [1, 2],
  MatMulNBits: [1], GatherBlockQuantized: [0], QGemm: [3], DynamicQuantizeMatMul: [1], MatMulIntegerToFloat: [1], QAttention: [1],
};

/** BatchNormalization's running mean and variance: read by inference, not fitted by gradient. */
const BUFFER_INPUTS: Record<string, number[]> = { BatchNormalization: [3, 4] };

/** Shape, index, axis, padding and range operands, and quantization parameters (scales, zero points). */
const CONSTANT_INPUTS: Record<string, number[]> = {
  Reshape: [1], Expand: [1], Tile: [1], Slice: [1, 2, 3, 4], Pad: [1, 2, 3], Squeeze: [1], Unsqueeze: [1],
  Resize: [1, 2, 3], Upsample: [1], ConstantOfShape: [0], Range: [0, 1, 2], TopK: [1], Split: [1], OneHot: [1, 2],
  ReduceSum: [1], ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1],
  ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1], Clip: [1, 2], CumSum: [1], Trilu: [1],
  Gather: [1], GatherElements: [1], GatherND: [1], ScatterND: [1], ScatterElements: [1],
  QuantizeLinear: [1, 2], DequantizeLinear: [1, 2], ConvInteger: [2, 3], MatMulInteger: [2, 3],
  QLinearConv: [1, 2, 4, 5, 6, 7], QLinearMatMul: [1, 2, 4, 5, 6, 7],
  QLinearAdd: [1, 2, 4, 5, 6, 7], QLinearMul: [1, 2, 4, 5, 6, 7], QGemm: [1, 2, 4, 5, 7, 8],
  MatMulNBits: [2, 3], GatherBlockQuantized: [2, 3],
};

const isInteger = (t: Tensor) => t.dtype === 'bool' || /^u?int\d+$/.test(t.dtype);

/** Sets the role of each initializer of a linked graph (weights stay unset). */
export function assignOnnxRoles(g: Graph): void {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const t of g.initializers) {
    const uses: { op: string; at: number }[] = [];
    for (const id of g.values.get(t.name)?.consumers ?? []) {
      const n = byId.get(id);
      if (!n) continue;
      n.inputs.forEach((name, at) => name === t.name && uses.push({ op: n.opType, at }));
    }
    const role = onnxRole(t, uses);
    if (role !== 'weight') t.role = role;
  }
}

function onnxRole(t: Tensor, uses: { op: string; at: number }[]): TensorRole {
  const at = (table: Record<string, number[]>) => (u: { op: string; at: number }) => table[u.op]?.includes(u.at) ?? false;
  if (uses.some(at(WEIGHT_INPUTS))) return 'weight';
  if (uses.some(at(BUFFER_INPUTS))) return 'buffer';
  if (uses.length && uses.every(at(CONSTANT_INPUTS))) return 'constant';
  // A scalar is a constant of the computation (an epsilon, 1/sqrt(d), a mask's fill value), and an unquantized
  // integer tensor elsewhere is an index or shape: no gradient fits either.
  if (t.shape.length === 0 || (isInteger(t) && !t.quantization)) return 'constant';
  return 'weight';
}
