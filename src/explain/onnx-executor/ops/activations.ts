import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, numbers } from '../op-context';

// Activations written with ops that have tfjs gradients (relu/min/max/step/erf; no comparisons), so saliency flows through all of them.

function clip(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  let lo: number | undefined;
  let hi: number | undefined;
  if (ctx.opset < 11) {
    lo = ctx.attrs.float('min');
    hi = ctx.attrs.float('max');
  } else {
    lo = ctx.inputs[1] ? numbers(ctx.inputs[1])[0] : undefined;
    hi = ctx.inputs[2] ? numbers(ctx.inputs[2])[0] : undefined;
  }
  let y = x;
  if (lo !== undefined) y = tf.maximum(y, tf.scalar(lo, x.dtype));
  if (hi !== undefined) y = tf.minimum(y, tf.scalar(hi, x.dtype));
  return y;
}

function hardSigmoid(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

function gelu(x: tf.Tensor, approximate: string): tf.Tensor {
  if (approximate === 'tanh') {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  }
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}

function softplus(x: tf.Tensor): tf.Tensor {
  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
  return tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}

export const activationOps: OpTable = {
  Relu: (ctx) => tf.relu(input(ctx, 0)),
  LeakyRelu: (ctx) => {
    const x = input(ctx, 0);
    return tf.add(tf.relu(x), tf.mul(ctx.attrs.float('alpha', 0.01), tf.minimum(x, 0)));
  },
  PRelu: (ctx) => {
    const x = input(ctx, 0);
    const slope = input(ctx, 1);
    return tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)));
  },
  Elu: (ctx) => {
    const x = input(ctx, 0);
    return tf.add(tf.relu(x), tf.mul(ctx.attrs.float('alpha', 1), tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
  },
  Selu: (ctx) => {
    const x = input(ctx, 0);
    const alpha = ctx.attrs.float('alpha', 1.67326319217681884765625);
    const gamma = ctx.attrs.float('gamma', 1.05070102214813232421875);
    return tf.mul(gamma, tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1))));
  },
  Celu: (ctx) => {
    const x = input(ctx, 0);
    const alpha = ctx.attrs.float('alpha', 1);
    return tf.add(tf.relu(x), tf.minimum(0, tf.mul(alpha, tf.sub(tf.exp(tf.div(tf.minimum(x, 0), alpha)), 1))));
  },
  Sigmoid: (ctx) => tf.sigmoid(input(ctx, 0)),
  Tanh: (ctx) => tf.tanh(input(ctx, 0)),
  Clip: clip,
  HardSigmoid: (ctx) => hardSigmoid(input(ctx, 0), ctx.attrs.float('alpha', 0.2), ctx.attrs.float('beta', 0.5)),
  HardSwish: (ctx) => {
    const x = input(ctx, 0);
    return tf.mul(x, hardSigmoid(x, 1 / 6, 0.5));
  },
  Erf: (ctx) => tf.erf(input(ctx, 0)),
  Gelu: (ctx) => gelu(input(ctx, 0), ctx.attrs.string('approximate', 'none')),
  Softplus: (ctx) => softplus(input(ctx, 0)),
  Softsign: (ctx) => {
    const x = input(ctx, 0);
    return tf.div(x, tf.add(1, tf.abs(x)));
  },
  Mish: (ctx) => {
    const x = input(ctx, 0);
    return tf.mul(x, tf.tanh(softplus(x)));
  },
  ThresholdedRelu: (ctx) => {
    const x = input(ctx, 0);
    return tf.mul(x, tf.step(tf.sub(x, ctx.attrs.float('alpha', 1))));
  },
};
