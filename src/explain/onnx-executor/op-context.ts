import * as tf from '@tensorflow/tfjs';
import type { DType, Node } from '../../model';
import type { NodeAttributes } from './attributes';

/** What an operator implementation sees: its node, attributes, the default-domain opset, and input tensors. */
export interface OpContext {
  readonly node: Node;
  readonly attrs: NodeAttributes;
  readonly opset: number;
  /** By position; undefined for an omitted optional input (''). */
  readonly inputs: (tf.Tensor | undefined)[];
  /** Tensor-valued attributes (Constant `value`, ConstantOfShape `value`), decoded when the model was loaded. */
  attrTensor(name: string): tf.Tensor | undefined;
  /** The model's declared element type of input i (tfjs tensors only know float32/int32/bool). */
  declaredDType(i: number): DType | undefined;
}

/** Returns the node's outputs in order (a single tensor for single-output ops). */
export type OpFn = (ctx: OpContext) => tf.Tensor | (tf.Tensor | undefined)[];
export type OpTable = Readonly<Record<string, OpFn>>;

/** An attribute value or input type this executor does not implement; the graph walk reports it with the node. */
export class UnsupportedAttributeError extends Error {
  override readonly name = 'UnsupportedAttributeError';
}

export function input(ctx: OpContext, i: number): tf.Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new Error(`${ctx.node.opType} ${ctx.node.name || ctx.node.id}: input ${i} is required`);
  return t;
}

// Shape-computation values (Shape → Gather → Concat → Reshape) are read back as plain numbers; tensors made from
// known numbers remember them so that no backend read is needed.
const known = new WeakMap<tf.Tensor, number[]>();

export function numbers(t: tf.Tensor): number[] {
  let v = known.get(t);
  if (!v) {
    v = Array.from(t.dataSync() as ArrayLike<number>);
    known.set(t, v);
  }
  return v;
}

/** Numbers of an optional input, or undefined when it is omitted. */
export function optionalNumbers(ctx: OpContext, i: number): number[] | undefined {
  const t = ctx.inputs[i];
  return t ? numbers(t) : undefined;
}

export function intTensor(values: number[], shape: number[] = [values.length]): tf.Tensor {
  const t = tf.tensor(values, shape, 'int32');
  known.set(t, values.slice());
  return t;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Attribute or input (by opset) — Squeeze, Unsqueeze, Reduce ops, Split and Pad moved such values from attributes to inputs. */
export function attrOrInput(ctx: OpContext, name: string, inputIndex: number): number[] | undefined {
  return ctx.attrs.ints(name) ?? optionalNumbers(ctx, inputIndex);
}

/**
 * A copy with no gradient history. tfjs backprop fails on any op without a gradient between input and output, even
 * on paths that only feed a boolean condition (Greater → Where); comparison, logic and int-cast results are
 * non-differentiable anyway, so they leave the tape here.
 */
export function detach(t: tf.Tensor): tf.Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype);
}

/** Rounds toward zero (ONNX integer division and float → int casts) with ops that all have gradients. */
export function trunc(t: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sign(t), tf.floor(tf.abs(t)));
}
