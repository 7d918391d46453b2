import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, normAxis } from '../op-context';

// Before opset 13 Softmax flattens to 2-D at `axis` (default 1) and normalizes each row; from 13 it normalizes one
// axis (default -1). Both are written as max-shifted exp/sum so any axis works and gradients flow.

function normalized(ctx: OpContext, log: boolean): tf.Tensor {
  const x = input(ctx, 0);
  const legacy = ctx.opset < 13;
  const axis = normAxis(ctx.attrs.int('axis', legacy ? 1 : -1), x.rank);
  const work = legacy ? x.reshape([x.shape.slice(0, axis).reduce((a, b) => a * b, 1), -1]) : x;
  const ax = legacy ? 1 : axis;
  const shifted = tf.sub(work, tf.max(work, ax, true));
  const y = log
    ? tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), ax, true)))
    : tf.div(tf.exp(shifted), tf.sum(tf.exp(shifted), ax, true));
  return legacy ? y.reshape(x.shape) : y;
}

export const softmaxOps: OpTable = {
  Softmax: (ctx) => normalized(ctx, false),
  LogSoftmax: (ctx) => normalized(ctx, true),
};
