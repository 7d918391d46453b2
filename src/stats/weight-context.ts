import type { Graph, Model, Node } from '../model/graph';
import type { Quantization, Tensor } from '../model/tensor';
import { graphAndSubgraphs } from '../model/walk';
import type { ChannelPlan } from './accumulator';
import { decodeBytes, storedBytes } from './decode';
import { formatOf } from '../formats/registry';

/** What a weight's readers say about it: who consumes it, how to dequantize it, where its output channels are, its group. */
export interface WeightContext {
  tensor: Tensor;
  consumers: Node[];
  quantization?: Quantization;
  quantizationNote?: string;
  channelAxis?: number;
  group: string;
}

/** ONNX ops whose inputs name (quantized weight, scale, zero point) by position, with the default axis. */
const QUANT_INPUTS: Record<string, { w: number; s: number; z: number }> = {
  DequantizeLinear: { w: 0, s: 1, z: 2 },
  QLinearConv: { w: 3, s: 4, z: 5 },
  QLinearMatMul: { w: 3, s: 4, z: 5 },
};

async function smallTensorValues(t: Tensor | undefined): Promise<number[] | undefined> {
  if (!t || t.elementCount > 1 << 16) return undefined;
  if (t.values && typeof t.values[0] !== 'string') return Array.from(t.values as ArrayLike<number | bigint>, Number);
  const size = storedBytes(t.dtype);
  if (!t.data || !size) return t.elementCount === 0 ? [] : undefined;
  const bytes = await t.data.read(0, t.data.byteLength);
  const out = new Float64Array(t.elementCount);
  decodeBytes(t.dtype, bytes, out, t.elementCount, new Uint8Array(bytes.length));
  return Array.from(out);
}

function channelAxis(t: Tensor, consumers: Node[], format: Model['format']): number | undefined {
  const rank = t.shape.length;
  if (rank < 2) return undefined;
  if (format !== 'onnx') return formatOf({ format }).channelAxis === 'first' ? 0 : rank - 1;
  for (const n of consumers) {
    const inputIndex = n.inputs.indexOf(t.name);
    switch (n.opType) {
      case 'Conv': case 'QLinearConv': case 'ConvInteger':
        if (inputIndex === (n.opType === 'QLinearConv' ? 3 : 1)) return 0;
        break;
      case 'ConvTranspose':
        if (inputIndex === 1) return 1;
        break;
      case 'Gemm': {
        if (inputIndex !== 1) break;
        const transB = n.attributes.find((a) => a.name === 'transB')?.value;
        return transB && transB.type === 'int' && Number(transB.value) === 1 ? 0 : rank - 1;
      }
      case 'MatMul': case 'MatMulInteger': case 'QLinearMatMul':
        if (inputIndex === (n.opType === 'QLinearMatMul' ? 3 : 1)) return rank - 1;
        break;
    }
  }
  return undefined;
}

/** Group: the scope of the first consumer (a transformer block, a Keras layer), else the name without its last segment. */
function groupOf(t: Tensor, consumers: Node[]): string {
  const scoped = consumers.find((n) => n.scope);
  if (scoped) return scoped.scope;
  const name = t.name.replace(/^\//, '');
  const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('.'));
  return cut > 0 ? name.slice(0, cut) : '(root)';
}

export function channelPlan(t: Tensor, axis: number | undefined): ChannelPlan | undefined {
  if (axis === undefined || t.elementCount === 0) return undefined;
  const channels = t.shape[axis];
  if (!channels || channels < 2) return undefined;
  if (axis === 0) return { layout: 'first', channels, inner: t.elementCount / channels };
  if (axis === t.shape.length - 1) return { layout: 'last', channels, inner: 1 };
  return undefined; // a middle axis (ConvTranspose) would need a strided pass; not worth it for a health check
}

export async function weightContexts(model: Model): Promise<WeightContext[]> {
  const out: WeightContext[] = [];
  for (const g of graphAndSubgraphs(model.graph)) {
    const nodeById = new Map(g.nodes.map((n) => [n.id, n]));
    for (const t of g.initializers) {
      const consumers = (g.values.get(t.name)?.consumers ?? []).map((id) => nodeById.get(id)).filter((n): n is Node => !!n);
      const ctx: WeightContext = { tensor: t, consumers, group: groupOf(t, consumers), channelAxis: channelAxis(t, consumers, model.format) };
      if (t.quantization) {
        ctx.quantization = t.quantization;
        ctx.quantizationNote = describe(t.quantization, t.quantization.kind === 'tfjs' ? 'TF.js weight quantization' : 'reader');
      } else {
        await onnxQuantization(g, ctx);
      }
      out.push(ctx);
    }
  }
  return out;
}

/** Finds scale/zero point for an integer initializer read by DequantizeLinear or QLinear* (both initializers). */
async function onnxQuantization(g: Graph, ctx: WeightContext): Promise<void> {
  const t = ctx.tensor;
  if (!/^u?int(4|8|16|32)$/.test(t.dtype)) return;
  for (const n of ctx.consumers) {
    const pos = QUANT_INPUTS[n.opType];
    if (!pos || n.inputs[pos.w] !== t.name) continue;
    const scale = await smallTensorValues(g.values.get(n.inputs[pos.s] ?? '')?.initializer);
    if (!scale || !scale.length) continue;
    const zp = (await smallTensorValues(g.values.get(n.inputs[pos.z] ?? '')?.initializer)) ?? scale.map(() => 0);
    const axisAttr = n.attributes.find((a) => a.name === 'axis')?.value;
    let axis: number | undefined = axisAttr?.type === 'int' ? Number(axisAttr.value) : undefined;
    // QLinearConv/QLinearMatMul scales are per output channel: axis 0 for conv weights, the last for matmul B.
    if (axis === undefined && scale.length > 1) axis = n.opType === 'QLinearConv' ? 0 : n.opType === 'QLinearMatMul' ? t.shape.length - 1 : 1;
    ctx.quantization = { kind: 'affine', scale, zeroPoint: zp, axis };
    ctx.quantizationNote = describe(ctx.quantization, n.opType);
    return;
  }
}

function describe(q: Quantization, source: string): string {
  if (q.kind === 'ggml') return `GGML ${q.type} blocks (GGUF)`;
  if (q.kind === 'tfjs') {
    return q.dtype === 'float16' ? `float16 storage (${source})` : `${q.dtype} real = ${q.min !== undefined ? `q*${q.scale}+${q.min}` : `(q-${q.offset ?? 0})*${q.scale}`} (${source})`;
  }
  if (q.scale.length === 1) return `affine scale=${q.scale[0]} zero point=${q.zeroPoint[0] ?? 0} (${source})`;
  return `affine per-channel (${q.scale.length} scales, axis ${q.axis ?? 1}) (${source})`;
}

/** The stored element type of a tensor's bytes. */
export function storedDType(t: Tensor): Tensor['dtype'] {
  return t.storedDType ?? (t.quantization?.kind === 'tfjs' && t.quantization.dtype !== 'float16' ? t.quantization.dtype : t.quantization?.kind === 'tfjs' ? 'float16' : t.dtype);
}
