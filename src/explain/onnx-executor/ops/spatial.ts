import * as tf from '@tensorflow/tfjs';
import type { OpContext } from '../op-context';
import { UnsupportedAttributeError } from '../op-context';

// Geometry shared by Conv, ConvTranspose and the pools: ONNX attributes → per-axis strides, dilations and begin/end pads.

export interface Geometry {
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
}

/** Pads for a forward window op (Conv, pools) over `inSize` with `kernel`; ceil_mode is the caller's business. */
export function windowGeometry(ctx: OpContext, inSize: number[], kernel: number[]): Geometry {
  const n = inSize.length;
  const strides = ctx.attrs.ints('strides') ?? Array(n).fill(1);
  const dilations = ctx.attrs.ints('dilations') ?? Array(n).fill(1);
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const pads = ctx.attrs.ints('pads') ?? Array(2 * n).fill(0);
  const padBegin = pads.slice(0, n);
  const padEnd = pads.slice(n, 2 * n);
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < n; i++) {
      const out = Math.ceil(inSize[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize[i]);
      padBegin[i] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      padEnd[i] = total - padBegin[i];
    }
  } else if (autoPad === 'VALID') {
    padBegin.fill(0);
    padEnd.fill(0);
  }
  return { strides, dilations, padBegin, padEnd };
}

/** Spatial rank 1 is run as 2-D with a unit height; 3-D and up are not mapped. */
export function spatialRank(ctx: OpContext, x: tf.Tensor): 1 | 2 {
  const n = x.rank - 2;
  if (n !== 1 && n !== 2) throw new UnsupportedAttributeError(`${ctx.node.opType} over ${n} spatial dims (only 1-D and 2-D are mapped)`);
  return n;
}

/** NCW → NC1W so 1-D work runs through the 2-D kernels. */
export function as2d(x: tf.Tensor): tf.Tensor4D {
  return (x.rank === 3 ? x.expandDims(2) : x) as tf.Tensor4D;
}

/** Lifts per-axis 1-D geometry to 2-D with a neutral height axis. */
export function lift(g: Geometry, rank: 1 | 2): Geometry {
  if (rank === 2) return g;
  return { strides: [1, g.strides[0]], dilations: [1, g.dilations[0]], padBegin: [0, g.padBegin[0]], padEnd: [0, g.padEnd[0]] };
}

export const toNHWC = (x: tf.Tensor4D): tf.Tensor4D => tf.transpose(x, [0, 2, 3, 1]);
export const toNCHW = (x: tf.Tensor4D): tf.Tensor4D => tf.transpose(x, [0, 3, 1, 2]);

/** Spreads a [kh, kw, in, out] filter by its dilations with zeros: tfjs conv gradients reject dilation > 1. */
export function dilateFilter(f: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  let out = f;
  if (dh > 1) {
    const [kh, kw, i, o] = out.shape;
    const spread = tf.pad(out.expandDims(1), [[0, 0], [0, dh - 1], [0, 0], [0, 0], [0, 0]]).reshape([kh * dh, kw, i, o]);
    out = spread.slice([0, 0, 0, 0], [(kh - 1) * dh + 1, kw, i, o]) as tf.Tensor4D;
  }
  if (dw > 1) {
    const [kh, kw, i, o] = out.shape;
    const spread = tf.pad(out.expandDims(2), [[0, 0], [0, 0], [0, dw - 1], [0, 0], [0, 0]]).reshape([kh, kw * dw, i, o]);
    out = spread.slice([0, 0, 0, 0], [kh, (kw - 1) * dw + 1, i, o]) as tf.Tensor4D;
  }
  return out;
}
