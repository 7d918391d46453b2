import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { input, normAxis, numbers, optionalNumbers, UnsupportedAttributeError } from '../op-context';

// Slice, Gather and Pad. Strided/reflected reads are gathers with host-computed indices: tf.gather has a gradient
// on every backend, tf.stridedSlice and mirrorPad do not everywhere.

function gatherAxis(x: tf.Tensor, idx: number[], axis: number): tf.Tensor {
  return tf.gather(x, tf.tensor1d(idx, 'int32'), axis);
}

function slice(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const legacy = ctx.opset < 10;
  const starts = legacy ? ctx.attrs.ints('starts') ?? [] : numbers(input(ctx, 1));
  const ends = legacy ? ctx.attrs.ints('ends') ?? [] : numbers(input(ctx, 2));
  const axes = (legacy ? ctx.attrs.ints('axes') : optionalNumbers(ctx, 3)) ?? starts.map((_, i) => i);
  const steps = (legacy ? undefined : optionalNumbers(ctx, 4)) ?? starts.map(() => 1);
  const begin = x.shape.map(() => 0);
  const size = x.shape.slice();
  const strided: { axis: number; idx: number[] }[] = [];
  axes.forEach((a, i) => {
    const axis = normAxis(a, x.rank);
    const dim = x.shape[axis];
    const step = steps[i];
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step > 0) {
      s = Math.max(0, Math.min(dim, s));
      e = Math.max(0, Math.min(dim, e));
      if (step === 1) {
        begin[axis] = s;
        size[axis] = Math.max(0, e - s);
        return;
      }
    } else {
      s = Math.max(-1, Math.min(dim - 1, s));
      e = Math.max(-1, Math.min(dim - 1, e));
    }
    const idx: number[] = [];
    for (let k = s; step > 0 ? k < e : k > e; k += step) idx.push(k);
    strided.push({ axis, idx });
  });
  let y = tf.slice(x, begin, size);
  for (const { axis, idx } of strided) y = idx.length ? gatherAxis(y, idx, axis) : tf.zeros([...y.shape.slice(0, axis), 0, ...y.shape.slice(axis + 1)], y.dtype);
  return y;
}

function gather(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const indices = input(ctx, 1);
  const axis = normAxis(ctx.attrs.int('axis', 0), x.rank);
  const dim = x.shape[axis];
  const idx = numbers(indices).map((i) => (i < 0 ? i + dim : i));
  const out = tf.gather(x, tf.tensor(idx, indices.shape, 'int32'), axis);
  return out;
}

/** Source index along one axis for each output position, per pad mode. */
function padIndices(dim: number, before: number, after: number, mode: string): number[] {
  const out: number[] = [];
  for (let i = -before; i < dim + after; i++) {
    if (mode === 'edge') out.push(Math.max(0, Math.min(dim - 1, i)));
    else if (mode === 'wrap') out.push(((i % dim) + dim) % dim);
    else {
      // reflect without repeating the edge
      const period = 2 * (dim - 1) || 1;
      const m = ((i % period) + period) % period;
      out.push(m < dim ? m : period - m);
    }
  }
  return out;
}

function pad(ctx: OpContext): tf.Tensor {
  const x = input(ctx, 0);
  const mode = ctx.attrs.string('mode', 'constant');
  const raw = ctx.opset < 11 ? ctx.attrs.ints('pads') ?? ctx.attrs.ints('paddings') ?? [] : numbers(input(ctx, 1));
  const value = ctx.opset < 11 ? ctx.attrs.float('value', 0) : optionalNumbers(ctx, 2)?.[0] ?? 0;
  const axes = (optionalNumbers(ctx, 3) ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.rank));
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  axes.forEach((a, i) => {
    before[a] = raw[i];
    after[a] = raw[i + axes.length];
  });
  // Negative pads crop first.
  let y = x;
  if ([...before, ...after].some((p) => p < 0)) {
    const begin = before.map((p) => Math.max(0, -p));
    const size = x.shape.map((d, i) => d - begin[i] - Math.max(0, -after[i]));
    y = tf.slice(y, begin, size);
  }
  const pb = before.map((p) => Math.max(0, p));
  const pa = after.map((p) => Math.max(0, p));
  if (mode === 'constant') return tf.pad(y, pb.map((p, i) => [p, pa[i]] as [number, number]), value);
  if (mode !== 'reflect' && mode !== 'edge' && mode !== 'wrap') throw new UnsupportedAttributeError(`Pad mode ${mode}`);
  for (let a = 0; a < y.rank; a++) {
    if (pb[a] || pa[a]) y = gatherAxis(y, padIndices(y.shape[a], pb[a], pa[a], mode), a);
  }
  return y;
}

export const indexingOps: OpTable = { Slice: slice, Gather: gather, Pad: pad };
