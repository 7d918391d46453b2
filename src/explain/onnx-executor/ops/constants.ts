import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { float16ToNumber, floatToHalf } from '../../../model/float-bits';
import { detach, input, intTensor, numbers, trunc, UnsupportedAttributeError } from '../op-context';

// Constants, casts and pass-throughs. tfjs holds float32/int32/bool only: every float type maps to float32 and every
// integer type to int32 (int64 shape values fit; larger ones are clamped when loaded).

const ONNX_TYPE: Record<number, tf.DataType> = {
  1: 'float32', 10: 'float32', 11: 'float32', 16: 'float32',
  2: 'int32', 3: 'int32', 4: 'int32', 5: 'int32', 6: 'int32', 7: 'int32', 12: 'int32', 13: 'int32',
  9: 'bool',
};

export function tfTypeOf(code: number, what: string): tf.DataType {
  const t = ONNX_TYPE[code];
  if (!t) throw new UnsupportedAttributeError(`${what} to ONNX type ${code}`);
  return t;
}

const HALF_TYPES: Record<number, (v: number) => number> = {
  10: (v) => float16ToNumber(floatToHalf(v)),
  16: (v) => {
    // round to nearest even on the top 16 bits of the float32 pattern
    const u = new Uint32Array(new Float32Array([v]).buffer)[0];
    if (Number.isNaN(v)) return v;
    const r = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000;
    return new Float32Array(new Uint32Array([r >>> 0]).buffer)[0];
  },
};

/** float32 → float16/bfloat16 precision, with a straight-through gradient (the rounding has none). */
function roundTo(x: tf.Tensor, round: (v: number) => number): tf.Tensor {
  const f = tf.customGrad(((a: tf.Tensor) => {
    const v = Float32Array.from(a.dataSync() as Float32Array, round);
    return { value: tf.tensor(v, a.shape, 'float32'), gradFunc: (dy: tf.Tensor) => [dy] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x.dtype === 'float32' ? x : x.toFloat());
}

function cast(x: tf.Tensor, to: tf.DataType): tf.Tensor {
  if (x.dtype === to) return x;
  // ONNX truncates toward zero; integer and bool results carry no gradient.
  if (to === 'int32' && x.dtype === 'float32') return detach(trunc(x).toInt());
  return to === 'float32' ? tf.cast(x, to) : detach(tf.cast(x, to));
}

function constant(ctx: OpContext): tf.Tensor {
  const t = ctx.attrTensor('value');
  if (t) return t;
  const f = ctx.attrs.float('value_float');
  if (ctx.attrs.has('value_float') && f !== undefined) return tf.scalar(f);
  const fs = ctx.attrs.floats('value_floats');
  if (fs) return tf.tensor1d(fs);
  if (ctx.attrs.has('value_int')) return intTensor([ctx.attrs.int('value_int', 0)], []);
  const is = ctx.attrs.ints('value_ints');
  if (is) return intTensor(is);
  throw new UnsupportedAttributeError('Constant without a numeric value');
}

export const constantOps: OpTable = {
  Constant: constant,
  ConstantOfShape: (ctx) => {
    const shape = numbers(input(ctx, 0));
    const v = ctx.attrTensor('value');
    if (!v) return tf.zeros(shape);
    return tf.fill(shape, numbers(v)[0], v.dtype as 'float32' | 'int32');
  },
  Cast: (ctx) => {
    const to = ctx.attrs.int('to', 1);
    const round = HALF_TYPES[to];
    return round ? roundTo(input(ctx, 0), round) : cast(input(ctx, 0), tfTypeOf(to, 'Cast'));
  },
  CastLike: (ctx) => {
    const like = ctx.declaredDType(1);
    const round = like === 'float16' ? HALF_TYPES[10] : like === 'bfloat16' ? HALF_TYPES[16] : undefined;
    return round ? roundTo(input(ctx, 0), round) : cast(input(ctx, 0), input(ctx, 1).dtype);
  },
  Identity: (ctx) => input(ctx, 0),
  Dropout: (ctx) => {
    const x = input(ctx, 0);
    if (ctx.opset >= 12 && ctx.inputs[2] && numbers(ctx.inputs[2])[0]) throw new UnsupportedAttributeError('Dropout training_mode=true');
    return [x, detach(tf.onesLike(x).toBool())];
  },
  Range: (ctx) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => numbers(input(ctx, i))[0]);
    const dtype = input(ctx, 0).dtype === 'int32' ? 'int32' : 'float32';
    const n = Math.max(0, Math.ceil((limit - start) / delta));
    const values = Array.from({ length: n }, (_, i) => start + i * delta);
    return dtype === 'int32' ? intTensor(values) : tf.tensor1d(values, 'float32');
  },
};
