import type { Attribute } from '../../model/graph';
import { checked } from './flatbuffer';
import * as fb from './schema/tflite_generated';

/** Name segments kept in capitals, as Netron shows them (BATCH_TO_SPACE_ND → BatchToSpaceND, LSTM stays LSTM). */
const ACRONYMS = new Set(['LSTM', 'RNN', 'SVDF', 'LSH', 'ND', 'FFT', 'RFFT2D']);

/**
 * The op type shown for a builtin code: the enum name in PascalCase (CONV_2D → Conv2D, MAX_POOL_2D → MaxPool2D,
 * TOPK_V2 → TopkV2), segments with digits or known acronyms in capitals. Unknown codes (a newer schema)
 * keep their number.
 */
export function builtinOpType(code: number): string {
  const name = fb.BuiltinOperator[code] as string | undefined;
  if (name === undefined) return `Builtin${code}`;
  return name.split('_').map((s) => (ACRONYMS.has(s) || /\d/.test(s) ? s : s[0] + s.slice(1).toLowerCase())).join('');
}

const ACTIVATIONS = fb.ActivationFunctionType as unknown as Record<number, string>;
const PADDINGS = fb.Padding as unknown as Record<number, string>;

const int = (name: string, value: number): Attribute => ({ name, value: { type: 'int', value } });
const str = (name: string, value: string): Attribute => ({ name, value: { type: 'string', value } });
const act = (v: number): Attribute => str('fused_activation_function', ACTIVATIONS[v] ?? String(v));
const pad = (v: number): Attribute => str('padding', PADDINGS[v] ?? String(v));

/** Options decoded into attributes, plus the subgraphs a control-flow op runs (attribute name → subgraph index). */
export interface OpOptions {
  attributes: Attribute[];
  subgraphs: { attribute: string; index: number }[];
}

/** The builtin options the schema subset declares, as attributes; other option tables are named but not decoded. */
export function optionsOf(file: string, op: fb.Operator, what: string): OpOptions {
  const type = checked(file, `${what} options type`, () => op.builtinOptionsType());
  const out: OpOptions = { attributes: [], subgraphs: [] };
  if (type === fb.BuiltinOptions.NONE) return out;
  const o = checked(file, `${what} options`, () => fb.unionToBuiltinOptions(type, (obj) => op.builtinOptions(obj)));
  const a = out.attributes;
  checked(file, `${what} options`, () => {
    if (o instanceof fb.Conv2DOptions) {
      a.push(pad(o.padding()), int('stride_w', o.strideW()), int('stride_h', o.strideH()), int('dilation_w_factor', o.dilationWFactor()), int('dilation_h_factor', o.dilationHFactor()), act(o.fusedActivationFunction()));
    } else if (o instanceof fb.DepthwiseConv2DOptions) {
      a.push(pad(o.padding()), int('stride_w', o.strideW()), int('stride_h', o.strideH()), int('depth_multiplier', o.depthMultiplier()), int('dilation_w_factor', o.dilationWFactor()), int('dilation_h_factor', o.dilationHFactor()), act(o.fusedActivationFunction()));
    } else if (o instanceof fb.Pool2DOptions) {
      a.push(pad(o.padding()), int('stride_w', o.strideW()), int('stride_h', o.strideH()), int('filter_width', o.filterWidth()), int('filter_height', o.filterHeight()), act(o.fusedActivationFunction()));
    } else if (o instanceof fb.FullyConnectedOptions) {
      a.push(act(o.fusedActivationFunction()), int('weights_format', o.weightsFormat()), int('keep_num_dims', o.keepNumDims() ? 1 : 0));
    } else if (o instanceof fb.SoftmaxOptions) {
      a.push({ name: 'beta', value: { type: 'float', value: o.beta() } });
    } else if (o instanceof fb.ConcatenationOptions) {
      a.push(int('axis', o.axis()), act(o.fusedActivationFunction()));
    } else if (o instanceof fb.AddOptions || o instanceof fb.MulOptions || o instanceof fb.SubOptions || o instanceof fb.DivOptions) {
      a.push(act(o.fusedActivationFunction()));
    } else if (o instanceof fb.ReshapeOptions) {
      const s = o.newShapeArray();
      if (s) a.push({ name: 'new_shape', value: { type: 'ints', value: Array.from(s) } });
    } else if (o instanceof fb.CallOptions) {
      out.subgraphs.push({ attribute: 'subgraph', index: o.subgraph() });
    } else if (o instanceof fb.IfOptions) {
      out.subgraphs.push({ attribute: 'then_branch', index: o.thenSubgraphIndex() }, { attribute: 'else_branch', index: o.elseSubgraphIndex() });
    } else if (o instanceof fb.WhileOptions) {
      out.subgraphs.push({ attribute: 'cond', index: o.condSubgraphIndex() }, { attribute: 'body', index: o.bodySubgraphIndex() });
    } else if (o instanceof fb.CallOnceOptions) {
      out.subgraphs.push({ attribute: 'init', index: o.initSubgraphIndex() });
    } else if (!o) {
      a.push(str('builtin_options', `union type ${type} (not decoded)`));
    }
  });
  return out;
}
