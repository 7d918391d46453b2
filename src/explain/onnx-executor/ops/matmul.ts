import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input } from '../op-context';

// MatMul follows numpy.matmul: 1-D operands gain then lose a unit axis; batch dims broadcast.

function matMul(ctx: OpContext): tf.Tensor {
  let a = input(ctx, 0);
  let b = input(ctx, 1);
  const aVec = a.rank === 1;
  const bVec = b.rank === 1;
  if (aVec) a = a.expandDims(0);
  if (bVec) b = b.expandDims(1);
  // tfjs broadcasts batch dims only when both operands have the same rank.
  const rank = Math.max(a.rank, b.rank);
  const lift = (t: tf.Tensor) => (t.rank < rank ? t.reshape([...Array(rank - t.rank).fill(1), ...t.shape]) : t);
  a = lift(a);
  b = lift(b);
  let y = rank === 2 ? tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) : batched(a, b);
  if (aVec) y = y.squeeze([y.rank - 2]);
  if (bVec) y = y.squeeze([y.rank - 1]);
  return y;
}

function batched(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = batchA.map((d, i) => (d === 1 ? batchB[i] : d));
  const grow = (t: tf.Tensor, own: number[]) =>
    own.join() === batch.join() ? t : tf.broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
  const a3 = grow(a, batchA).reshape([-1, ...a.shape.slice(-2)]) as tf.Tensor3D;
  const b3 = grow(b, batchB).reshape([-1, ...b.shape.slice(-2)]) as tf.Tensor3D;
  const y = tf.matMul(a3, b3);
  return y.reshape([...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]]);
}

function gemm(ctx: OpContext): tf.Tensor {
  const a = input(ctx, 0) as tf.Tensor2D;
  const b = input(ctx, 1) as tf.Tensor2D;
  const alpha = ctx.attrs.float('alpha', 1);
  const beta = ctx.attrs.float('beta', 1);
  let y: tf.Tensor = tf.matMul(a, b, ctx.attrs.int('transA', 0) === 1, ctx.attrs.int('transB', 0) === 1);
  if (alpha !== 1) y = tf.mul(y, alpha);
  const c = ctx.inputs[2];
  if (c && beta !== 0) y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
  return y;
}

export const matmulOps: OpTable = { MatMul: matMul, Gemm: gemm };
