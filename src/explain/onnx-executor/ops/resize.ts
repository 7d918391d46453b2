import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, normAxis, numbers, optionalNumbers, UnsupportedAttributeError } from '../op-context';

// Resize / Upsample as separable per-axis filters: each output index reads a few input taps (1 nearest, 2 linear,
// 4 cubic) with host-computed indices and weights, i.e. gathers and multiplies, so gradients reach the input for any
// rank and any coordinate_transformation_mode.

interface Taps {
  idx: number[][]; // [tap][out]
  w: number[][];
}

type ToOriginal = (x: number, inSize: number, outSize: number, scale: number) => number;

const TRANSFORMS: Record<string, ToOriginal> = {
  half_pixel: (x, _i, _o, s) => (x + 0.5) / s - 0.5,
  pytorch_half_pixel: (x, _i, o, s) => (o > 1 ? (x + 0.5) / s - 0.5 : 0),
  align_corners: (x, i, o) => (o === 1 ? 0 : (x * (i - 1)) / (o - 1)),
  asymmetric: (x, _i, _o, s) => x / s,
  tf_half_pixel_for_nn: (x, _i, _o, s) => (x + 0.5) / s,
};

function nearestIndex(v: number, mode: string, scale: number): number {
  switch (mode) {
    case 'round_prefer_ceil': return Math.round(v);
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    case 'simple': return scale < 1 ? Math.ceil(v) : Math.floor(v); // Resize-10 / Upsample
    default: return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v); // round_prefer_floor
  }
}

function cubicWeights(t: number, a: number): number[] {
  const f1 = (s: number) => ((a + 2) * s - (a + 3)) * s * s + 1; // |s| <= 1
  const f2 = (s: number) => ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; // 1 < |s| < 2
  return [f2(t + 1), f1(t), f1(1 - t), f2(2 - t)];
}

function taps(ctx: OpContext, mode: string, inSize: number, outSize: number, scale: number, coord: ToOriginal, nearestMode: string): Taps {
  const clamp = (i: number) => Math.max(0, Math.min(inSize - 1, i));
  const n = mode === 'nearest' ? 1 : mode === 'linear' ? 2 : 4;
  const idx: number[][] = Array.from({ length: n }, () => []);
  const w: number[][] = Array.from({ length: n }, () => []);
  const a = ctx.attrs.float('cubic_coeff_a', -0.75);
  const exclude = ctx.attrs.int('exclude_outside', 0) === 1;
  for (let o = 0; o < outSize; o++) {
    const x = coord(o, inSize, outSize, scale);
    if (mode === 'nearest') {
      idx[0].push(clamp(nearestIndex(x, nearestMode, scale)));
      w[0].push(1);
    } else if (mode === 'linear') {
      const v = Math.max(0, Math.min(inSize - 1, x));
      const x0 = Math.floor(v);
      idx[0].push(x0);
      idx[1].push(clamp(x0 + 1));
      w[0].push(1 - (v - x0));
      w[1].push(v - x0);
    } else {
      const x0 = Math.floor(x);
      const ws = cubicWeights(x - x0, a);
      const at = [x0 - 1, x0, x0 + 1, x0 + 2];
      if (exclude) {
        at.forEach((p, k) => { if (p < 0 || p >= inSize) ws[k] = 0; });
        const sum = ws.reduce((s, v) => s + v, 0);
        ws.forEach((v, k) => (ws[k] = v / sum));
      }
      at.forEach((p, k) => {
        idx[k].push(clamp(p));
        w[k].push(ws[k]);
      });
    }
  }
  return { idx, w };
}

function resize(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const legacy = ctx.node.opType === 'Upsample' || ctx.opset < 11;
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (ctx.node.opType === 'Upsample' && ctx.opset < 9) scales = ctx.attrs.floats('scales');
  else if (legacy) scales = numbers(input(ctx, 1));
  else {
    scales = optionalNumbers(ctx, 2);
    sizes = optionalNumbers(ctx, 3);
    if (scales && scales.length === 0) scales = undefined;
  }
  if (ctx.attrs.int('antialias', 0) !== 0) throw new UnsupportedAttributeError('Resize antialias=1');
  if (ctx.attrs.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw new UnsupportedAttributeError('Resize keep_aspect_ratio_policy other than stretch');
  let mode = ctx.attrs.string('mode', 'nearest');
  if (mode === 'bilinear' || mode === 'trilinear') mode = 'linear';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'cubic') throw new UnsupportedAttributeError(`Resize mode ${mode}`);
  const coordName = legacy ? 'asymmetric' : ctx.attrs.string('coordinate_transformation_mode', 'half_pixel');
  const coord = TRANSFORMS[coordName];
  if (!coord) throw new UnsupportedAttributeError(`Resize coordinate_transformation_mode ${coordName}`);
  const nearestMode = legacy ? 'simple' : ctx.attrs.string('nearest_mode', 'round_prefer_floor');
  const axes = (ctx.attrs.ints('axes') ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.rank));
  let y = x.dtype === 'float32' || mode === 'nearest' ? x : x.toFloat();
  axes.forEach((axis, k) => {
    const inSize = x.shape[axis];
    const outSize = sizes ? sizes[k] : Math.floor(inSize * (scales?.[k] ?? 1));
    const scale = sizes ? outSize / inSize : scales?.[k] ?? 1;
    if (outSize === inSize && scale === 1) return;
    const t = taps(ctx, mode, inSize, outSize, scale, coord, nearestMode);
    const bshape = y.shape.map((_d, i) => (i === axis ? outSize : 1));
    let acc: tf.Tensor | undefined;
    t.idx.forEach((idx, j) => {
      const g = tf.gather(y, tf.tensor1d(idx, 'int32'), axis);
      const term = mode === 'nearest' ? g : tf.mul(g, tf.tensor(t.w[j], bshape));
      acc = acc ? tf.add(acc, term) : term;
    });
    y = acc!;
  });
  return y;
}

export const resizeOps: OpTable = { Resize: resize, Upsample: resize };
