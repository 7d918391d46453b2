/** Op categories the graph colours by; the legend lists them in this order. */
export type OpCategory =
  | 'conv' | 'matmul' | 'activation' | 'normalization' | 'pooling' | 'shape' | 'elementwise' | 'reduce'
  | 'control' | 'quantization' | 'constant' | 'io' | 'other';

const table: [OpCategory, RegExp][] = [
  ['io', /^(Input|Output)$/],
  ['control', /^(If|Loop|Scan|Where|SequenceMap|StatelessIf|StatelessWhile|While|Enter|Exit|Merge|Switch|NextIteration|LoopCond)$/],
  ['quantization', /^(QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|QLinear\w*|MatMulInteger|ConvInteger|\w*Quantize\w*)$/],
  ['conv', /^(Conv|ConvTranspose|DepthwiseConv2d\w*|Conv[123]D\w*|Conv2dBackpropInput|SeparableConv2D|FusedConv2D|FusedDepthwiseConv2dNative|DeformConv)$/i],
  ['matmul', /^(MatMul|Gemm|Einsum|Dense|BatchMatMul\w*|_FusedMatMul|FusedMatMul|Attention|MultiHeadAttention)$/],
  ['normalization', /^(BatchNormalization|LayerNormalization|InstanceNormalization|GroupNormalization|LpNormalization|LRN|SimplifiedLayerNormalization|SkipLayerNormalization|RMSNormalization|FusedBatchNorm\w*|MeanVarianceNormalization)$/],
  ['pooling', /^(\w*Pool\w*|GlobalAveragePool|GlobalMaxPool|AvgPool\w*|MaxPool\w*|Resize|Upsample\w*)$/],
  ['activation', /^(Relu|LeakyRelu|PRelu|Elu|Selu|Celu|Gelu|FastGelu|BiasGelu|Sigmoid|HardSigmoid|HardSwish|Swish|Mish|Tanh|Softmax|LogSoftmax|Softplus|Softsign|ThresholdedRelu|Relu6|Activation|Erf)$/],
  ['shape', /^(Reshape|Transpose|Flatten|Squeeze|Unsqueeze|Concat|Split|Slice|Gather\w*|Scatter\w*|Expand|Tile|Pad|Shape|Size|ConstantOfShape|Range|Identity|Cast|CastLike|DepthToSpace|SpaceToDepth|StridedSlice|Pack|Unpack|ExpandDims|MirrorPad|GatherV2|ConcatV2|Permute|Cropping\d?D|ZeroPadding\d?D|Trilu|NonZero|OneHot|TopK|Compress)$/],
  ['reduce', /^(Reduce\w*|ArgMax|ArgMin|Mean|Sum|Max|Min|CumSum|GlobalLpPool)$/],
  ['constant', /^(Constant|Const|Placeholder|RandomNormal\w*|RandomUniform\w*|EyeLike)$/],
  ['elementwise', /^(Add|AddV2|Sub|Mul|Div|Pow|Sqrt|Rsqrt|Exp|Log|Neg|Abs|Reciprocal|Floor|Ceil|Round|Sin|Cos|Clip|Equal|Less\w*|Greater\w*|And|Or|Not|Xor|Mod|BitShift|Sign|IsNaN|IsInf|Maximum|Minimum|BiasAdd|Square|SquaredDifference|Dropout|Add|Multiply|Subtract|Concatenate|Average)$/],
];

const cache = new Map<string, OpCategory>();

export function opCategory(op: string): OpCategory {
  let c = cache.get(op);
  if (!c) {
    c = table.find(([, re]) => re.test(op))?.[0] ?? 'other';
    cache.set(op, c);
  }
  return c;
}

export const categoryLabels: Record<OpCategory, string> = {
  conv: 'convolution', matmul: 'matmul / gemm', activation: 'activation', normalization: 'normalization',
  pooling: 'pooling / resize', shape: 'shape / reshape', elementwise: 'elementwise', reduce: 'reduction',
  control: 'control flow', quantization: 'quantization', constant: 'constant', io: 'graph input / output', other: 'other',
};
