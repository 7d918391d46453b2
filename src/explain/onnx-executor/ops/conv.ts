import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input } from '../op-context';
import { as2d, dilateFilter, lift, spatialRank, toNCHW, toNHWC, windowGeometry } from './spatial';

// Conv / ConvTranspose in NCHW, run as tfjs NHWC kernels with explicit tf.pad (asymmetric pads) and pre-dilated
// filters (tfjs conv gradients support only dilation 1). Groups: depthwise kernel when each group is one channel,
// otherwise one conv per group.

function addBias(y: tf.Tensor4D, b: tf.Tensor | undefined): tf.Tensor4D {
  return b ? (tf.add(y, b.reshape([1, -1, 1, 1])) as tf.Tensor4D) : y;
}

function conv(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const rank = spatialRank(ctx, x);
  const kernel = w.shape.slice(2);
  const g = lift(windowGeometry(ctx, x.shape.slice(2), kernel), rank);
  const group = ctx.attrs.int('group', 1);
  const x4 = toNHWC(as2d(x));
  const padded = tf.pad(x4, [[0, 0], [g.padBegin[0], g.padEnd[0]], [g.padBegin[1], g.padEnd[1]], [0, 0]]) as tf.Tensor4D;
  const filter = dilateFilter(tf.transpose(as2d(w), [2, 3, 1, 0]) as tf.Tensor4D, g.dilations[0], g.dilations[1]);
  const strides: [number, number] = [g.strides[0], g.strides[1]];
  const channels = x4.shape[3];
  let y: tf.Tensor4D;
  if (group === 1) {
    y = tf.conv2d(padded, filter, strides, 'valid');
  } else if (group === channels && filter.shape[2] === 1) {
    const [kh, kw, , out] = filter.shape;
    y = tf.depthwiseConv2d(padded, filter.reshape([kh, kw, channels, out / channels]) as tf.Tensor4D, strides, 'valid') as tf.Tensor4D;
  } else {
    const xs = tf.split(padded, group, 3);
    const fs = tf.split(filter, group, 3);
    y = tf.concat(xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, fs[i] as tf.Tensor4D, strides, 'valid')), 3);
  }
  const out = addBias(toNCHW(y), ctx.inputs[2]);
  return rank === 1 ? out.squeeze([2]) : out;
}

function convTranspose(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const w = input(ctx, 1);
  const rank = spatialRank(ctx, x);
  const n = rank;
  const inSize = x.shape.slice(2);
  const kernel = w.shape.slice(2);
  const strides = ctx.attrs.ints('strides') ?? Array(n).fill(1);
  const dilations = ctx.attrs.ints('dilations') ?? Array(n).fill(1);
  const outputPadding = ctx.attrs.ints('output_padding') ?? Array(n).fill(0);
  const outputShape = ctx.attrs.ints('output_shape');
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const pads = ctx.attrs.ints('pads') ?? Array(2 * n).fill(0);
  const padBegin = pads.slice(0, n);
  const padEnd = pads.slice(n);
  const kEff = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
  const full = inSize.map((s, i) => (s - 1) * strides[i] + kEff[i]);
  if (outputShape || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outputShape ? outputShape.slice(-n) : inSize.map((s, i) => s * strides[i]);
    for (let i = 0; i < n; i++) {
      const total = full[i] + outputPadding[i] - target[i];
      const upper = autoPad === 'SAME_UPPER';
      padBegin[i] = upper ? Math.floor(total / 2) : total - Math.floor(total / 2);
      padEnd[i] = total - padBegin[i];
    }
  }
  const lift2 = (v: number[], fill: number) => (rank === 1 ? [fill, v[0]] : v);
  const [s, d, op, pb, pe, fullHW] = [lift2(strides, 1), lift2(dilations, 1), lift2(outputPadding, 0), lift2(padBegin, 0), lift2(padEnd, 0), lift2(full, 1)];
  const group = ctx.attrs.int('group', 1);
  const x4 = toNHWC(as2d(x));
  const filter = dilateFilter(tf.transpose(as2d(w), [2, 3, 1, 0]) as tf.Tensor4D, d[0], d[1]); // [kh, kw, out/g, in]
  const outPerGroup = filter.shape[2];
  const run = (xi: tf.Tensor4D, fi: tf.Tensor4D) =>
    tf.conv2dTranspose(xi, fi, [xi.shape[0], fullHW[0], fullHW[1], outPerGroup], [s[0], s[1]], 'valid');
  let y: tf.Tensor4D;
  if (group === 1) y = run(x4, filter);
  else {
    const xs = tf.split(x4, group, 3);
    const fs = tf.split(filter, group, 3);
    y = tf.concat(xs.map((xi, i) => run(xi as tf.Tensor4D, fs[i] as tf.Tensor4D)), 3);
  }
  // output_padding adds rows at the end that no input reaches; then the pads crop (negative = grow).
  y = tf.pad(y, [[0, 0], [0, op[0]], [0, op[1]], [0, 0]]) as tf.Tensor4D;
  const grow = (p: number) => Math.max(0, -p);
  y = tf.pad(y, [[0, 0], [grow(pb[0]), grow(pe[0])], [grow(pb[1]), grow(pe[1])], [0, 0]]) as tf.Tensor4D;
  const crop = (p: number) => Math.max(0, p);
  const [, h, wd, c] = y.shape;
  y = y.slice([0, crop(pb[0]), crop(pb[1]), 0], [-1, h - crop(pb[0]) - crop(pe[0]), wd - crop(pb[1]) - crop(pe[1]), c]);
  const out = addBias(toNCHW(y), ctx.inputs[2]);
  return rank === 1 ? out.squeeze([2]) : out;
}

export const convOps: OpTable = { Conv: conv, ConvTranspose: convTranspose };
