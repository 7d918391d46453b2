import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { attrOrInput, input, intTensor, normAxis, numbers, UnsupportedAttributeError } from '../op-context';
import { broadcastShape } from './elementwise';

// Layout and shape operators. Shape values are plain numbers (see op-context `numbers`), so the
// Shape → Gather → Concat → Reshape chains of exported models stay cheap.

function reshape(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const target = ctx.opset < 5 ? ctx.attrs.ints('shape') ?? [] : numbers(input(ctx, 1));
  const allowZero = ctx.attrs.int('allowzero', 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  return x.reshape(shape);
}

function flatten(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const axis = normAxis(ctx.attrs.int('axis', 1), x.rank);
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  return x.reshape([outer, x.size / Math.max(outer, 1) || 0]);
}

function squeeze(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const axes = attrOrInput(ctx, 'axes', 1);
  return axes ? x.squeeze(axes.map((a) => normAxis(a, x.rank))) : x.squeeze();
}

function unsqueeze(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const axes = attrOrInput(ctx, 'axes', 1) ?? [];
  const rank = x.rank + axes.length;
  const at = new Set(axes.map((a) => normAxis(a, rank)));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(at.has(i) ? 1 : x.shape[k++]);
  return x.reshape(shape);
}

function split(ctx: OpContext): tf.Tensor[] {
  const x = input(ctx, 0);
  const axis = normAxis(ctx.attrs.int('axis', 0), x.rank);
  const outputs = ctx.node.outputs.length;
  let sizes = attrOrInput(ctx, 'split', 1);
  if (!sizes || sizes.length === 0) {
    const n = ctx.attrs.int('num_outputs', outputs);
    const each = Math.ceil(x.shape[axis] / n);
    sizes = Array.from({ length: n }, (_, i) => Math.min(each, x.shape[axis] - i * each));
  }
  return tf.split(x, sizes, axis);
}

function shape(ctx: OpContext): tf.Tensor {
  const dims = input(ctx, 0).shape;
  const clampAxis = (a: number) => Math.max(0, Math.min(dims.length, normAxis(a, dims.length)));
  const start = clampAxis(ctx.attrs.int('start', 0));
  const end = clampAxis(ctx.attrs.int('end', dims.length));
  return intTensor(dims.slice(start, end));
}

function expand(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const target = broadcastShape(x.shape, numbers(input(ctx, 1)));
  if (target.join() === x.shape.join()) return x;
  // tfjs's broadcastTo runs a Tile kernel, which has no gradient above rank 4: a broadcasting add has one at any rank.
  if (target.length > 4) return tf.add(x, tf.zeros(target, x.dtype));
  return tf.broadcastTo(x.rank < target.length ? x.reshape([...Array(target.length - x.rank).fill(1), ...x.shape]) : x, target);
}

function tile(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const reps = numbers(input(ctx, 1));
  if (x.rank <= 4) return tf.tile(x, reps);
  // tfjs has no Tile gradient above rank 4 (grouped-query attention repeats keys as [B, Hkv, r, T, D]): repeat by
  // concatenation instead, whose gradient is slicing, at any rank.
  let y = x;
  reps.forEach((r, axis) => {
    if (r > 1) y = tf.concat(Array<tf.Tensor>(r).fill(y), axis);
  });
  return y;
}

export const shapeOps: OpTable = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Split: split,
  Shape: shape,
  Size: (ctx) => intTensor([input(ctx, 0).size], []),
  Expand: expand,
  Tile: tile,
  Transpose: (ctx) => {
    const x = input(ctx, 0);
    return tf.transpose(x, ctx.attrs.ints('perm') ?? x.shape.map((_, i) => x.rank - 1 - i));
  },
  Concat: (ctx) => {
    const xs = ctx.inputs.filter((t): t is tf.Tensor => !!t);
    const axis = normAxis(ctx.attrs.int('axis', 0), xs[0].rank);
    if (xs.every((t) => t.dtype === 'int32' && t.rank === 1 && axis === 0 && t.size < 64)) {
      return intTensor(xs.flatMap((t) => numbers(t)));
    }
    return tf.concat(xs.filter((t) => t.size > 0).length ? xs.filter((t) => t.size > 0) : xs, axis);
  },
  DepthToSpace: (ctx) => {
    const x = input(ctx, 0);
    const b = ctx.attrs.int('blocksize', 1);
    const [n, c, h, w] = x.shape;
    if (ctx.attrs.string('mode', 'DCR') === 'DCR') {
      return x.reshape([n, b, b, c / (b * b), h, w]).transpose([0, 3, 4, 1, 5, 2]).reshape([n, c / (b * b), h * b, w * b]);
    }
    return x.reshape([n, c / (b * b), b, b, h, w]).transpose([0, 1, 4, 2, 5, 3]).reshape([n, c / (b * b), h * b, w * b]);
  },
  SpaceToDepth: (ctx) => {
    const x = input(ctx, 0);
    const b = ctx.attrs.int('blocksize', 1);
    const [n, c, h, w] = x.shape;
    return x.reshape([n, c, h / b, b, w / b, b]).transpose([0, 3, 5, 1, 2, 4]).reshape([n, c * b * b, h / b, w / b]);
  },
};

export function requireFloat(ctx: OpContext, t: tf.Tensor): void {
  if (t.dtype !== 'float32') throw new UnsupportedAttributeError(`${ctx.node.opType} on ${t.dtype}`);
}
