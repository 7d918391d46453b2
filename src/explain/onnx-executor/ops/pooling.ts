import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, UnsupportedAttributeError } from '../op-context';
import type { Geometry } from './spatial';
import { as2d, lift, spatialRank, toNCHW, toNHWC, windowGeometry } from './spatial';

// Max/average pools: explicit pads (and ceil_mode's extra end rows) are applied with tf.pad, then a 'valid' tfjs pool.
// Averages divide by a pooled mask so count_include_pad and the ceil rows are counted exactly as ONNX says.

interface Window {
  kernel: [number, number];
  g: Geometry;
  /** Extra rows/cols past padEnd that ceil_mode needs; never counted in averages. */
  extra: [number, number];
  rank: 1 | 2;
}

function window(ctx: OpContext, x: tf.Tensor): Window {
  const rank = spatialRank(ctx, x);
  const shape = ctx.attrs.ints('kernel_shape');
  if (!shape) throw new Error(`${ctx.node.opType}: kernel_shape is required`);
  const inSize = x.shape.slice(2);
  const geo = windowGeometry(ctx, inSize, shape);
  if (geo.dilations.some((d) => d !== 1)) throw new UnsupportedAttributeError(`${ctx.node.opType} dilations > 1`);
  const ceil = ctx.attrs.int('ceil_mode', 0) === 1;
  const extra = inSize.map((s, i) => {
    if (!ceil) return 0;
    const span = s + geo.padBegin[i] + geo.padEnd[i] - shape[i];
    let out = Math.ceil(span / geo.strides[i]) + 1;
    // A last window that would start inside the end padding is dropped (as in onnxruntime and PyTorch).
    if ((out - 1) * geo.strides[i] >= s + geo.padBegin[i]) out--;
    return Math.max(0, (out - 1) * geo.strides[i] + shape[i] - (s + geo.padBegin[i] + geo.padEnd[i]));
  });
  const k2 = rank === 1 ? [1, shape[0]] : shape;
  const e2 = rank === 1 ? [0, extra[0]] : extra;
  return { kernel: [k2[0], k2[1]], g: lift(geo, rank), extra: [e2[0], e2[1]], rank };
}

const finish = (y: tf.Tensor4D, rank: 1 | 2): tf.Tensor => {
  const out = toNCHW(y);
  return rank === 1 ? out.squeeze([2]) : out;
};

function maxPool(ctx: OpContext): tf.Tensor[] {
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) throw new UnsupportedAttributeError('MaxPool Indices output');
  if (ctx.attrs.int('storage_order', 0) !== 0) throw new UnsupportedAttributeError('MaxPool storage_order=1');
  const x = input(ctx, 0);
  const w = window(ctx, x);
  const { g, extra } = w;
  const padded = tf.pad(toNHWC(as2d(x)), [[0, 0], [g.padBegin[0], g.padEnd[0] + extra[0]], [g.padBegin[1], g.padEnd[1] + extra[1]], [0, 0]], -Infinity);
  return [finish(tf.maxPool(padded, w.kernel, [g.strides[0], g.strides[1]], 'valid'), w.rank)];
}

function averagePool(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const w = window(ctx, x);
  const { g, extra } = w;
  const x4 = toNHWC(as2d(x));
  const strides: [number, number] = [g.strides[0], g.strides[1]];
  const padded = tf.pad(x4, [[0, 0], [g.padBegin[0], g.padEnd[0] + extra[0]], [g.padBegin[1], g.padEnd[1] + extra[1]], [0, 0]]);
  const sum = tf.avgPool(padded, w.kernel, strides, 'valid');
  const anyPad = [...g.padBegin, ...g.padEnd, ...extra].some((p) => p !== 0);
  if (!anyPad) return finish(sum, w.rank);
  // Mask of counted cells: the input, plus the explicit pads when count_include_pad, never the ceil rows.
  const includePad = ctx.attrs.int('count_include_pad', 0) === 1;
  const [, h, wd] = x4.shape;
  let mask: tf.Tensor4D = tf.ones([1, h, wd, 1]);
  const p = (a: number, b: number): [number, number] => [a, b];
  mask = tf.pad(mask, [[0, 0], p(g.padBegin[0], g.padEnd[0]), p(g.padBegin[1], g.padEnd[1]), [0, 0]], includePad ? 1 : 0);
  mask = tf.pad(mask, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]]);
  const counted = tf.avgPool(mask, w.kernel, strides, 'valid');
  return finish(tf.div(sum, counted) as tf.Tensor4D, w.rank);
}

const spatialAxes = (x: tf.Tensor) => Array.from({ length: x.rank - 2 }, (_, i) => i + 2);

export const poolingOps: OpTable = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: (ctx) => {
    const x = input(ctx, 0);
    return tf.mean(x, spatialAxes(x), true);
  },
  GlobalMaxPool: (ctx) => {
    const x = input(ctx, 0);
    return tf.max(x, spatialAxes(x), true);
  },
};
