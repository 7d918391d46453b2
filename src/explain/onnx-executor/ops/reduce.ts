import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { detach, input, normAxis, optionalNumbers } from '../op-context';

// Reductions: axes moved from an attribute to the second input (ReduceSum at opset 13, the others at 18).

function axesOf(ctx: OpContext, x: tf.Tensor): number[] | undefined {
  const axes = ctx.attrs.ints('axes') ?? optionalNumbers(ctx, 1);
  if (axes && axes.length) return axes.map((a) => normAxis(a, x.rank));
  // Empty axes: all axes, or identity when noop_with_empty_axes.
  return ctx.attrs.int('noop_with_empty_axes', 0) === 1 ? [] : undefined;
}

const reduce = (f: (x: tf.Tensor, axes: number[] | undefined, keep: boolean) => tf.Tensor) => (ctx: OpContext) => {
  const x = input(ctx, 0);
  const axes = axesOf(ctx, x);
  if (axes && axes.length === 0) return x;
  return f(x, axes, ctx.attrs.int('keepdims', 1) === 1);
};

export const reduceOps: OpTable = {
  ReduceMean: reduce((x, a, k) => tf.mean(x, a, k)),
  ReduceSum: reduce((x, a, k) => tf.sum(x, a, k)),
  ReduceMax: reduce((x, a, k) => tf.max(x, a, k)),
  ReduceMin: reduce((x, a, k) => tf.min(x, a, k)),
  ReduceProd: reduce((x, a, k) => tf.prod(x, a, k)),
  ReduceSumSquare: reduce((x, a, k) => tf.sum(tf.square(x), a, k)),
  ReduceL1: reduce((x, a, k) => tf.sum(tf.abs(x), a, k)),
  ReduceL2: reduce((x, a, k) => tf.sqrt(tf.sum(tf.square(x), a, k))),
  ReduceLogSum: reduce((x, a, k) => tf.log(tf.sum(x, a, k))),
  ReduceLogSumExp: reduce((x, a, k) => tf.logSumExp(x, a, k)),
  ArgMax: (ctx) => detach(argReduce(ctx, tf.argMax)),
  ArgMin: (ctx) => detach(argReduce(ctx, tf.argMin)),
};

function argReduce(ctx: OpContext, f: (x: tf.Tensor, axis: number) => tf.Tensor): tf.Tensor {
  const x = input(ctx, 0);
  const axis = normAxis(ctx.attrs.int('axis', 0), x.rank);
  if (ctx.attrs.int('select_last_index', 0) === 1) {
    const y = tf.sub(x.shape[axis] - 1, f(tf.reverse(x, axis), axis)).toInt();
    return ctx.attrs.int('keepdims', 1) === 1 ? y.expandDims(axis) : y;
  }
  const y = f(x, axis);
  return ctx.attrs.int('keepdims', 1) === 1 ? y.expandDims(axis) : y;
}
