import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, normAxis, UnsupportedAttributeError } from '../op-context';

// Inference-mode normalizations, with per-channel parameters reshaped to broadcast over NC... layouts.

const perChannel = (t: tf.Tensor, rank: number) => t.reshape([1, -1, ...Array(rank - 2).fill(1)]);

function batchNorm(ctx: OpContext): tf.Tensor {
  if (ctx.attrs.int('training_mode', 0) === 1) throw new UnsupportedAttributeError('BatchNormalization training_mode=1');
  if (ctx.opset < 9 && ctx.attrs.int('spatial', 1) === 0) throw new UnsupportedAttributeError('BatchNormalization spatial=0');
  const x = input(ctx, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => perChannel(input(ctx, i), x.rank));
  const eps = ctx.attrs.float('epsilon', 1e-5);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), scale), bias);
}

function layerNorm(ctx: OpContext): tf.Tensor[] {
  const x = input(ctx, 0);
  const axis = normAxis(ctx.attrs.int('axis', -1), x.rank);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), eps));
  let y = tf.mul(tf.mul(centered, invStd), input(ctx, 1));
  if (ctx.inputs[2]) y = tf.add(y, ctx.inputs[2]);
  return [y, mean, invStd];
}

function instanceNorm(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
  const eps = ctx.attrs.float('epsilon', 1e-5);
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const y = tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), axes, true), eps)));
  return tf.add(tf.mul(y, perChannel(input(ctx, 1), x.rank)), perChannel(input(ctx, 2), x.rank));
}

export const normalizationOps: OpTable = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
};
