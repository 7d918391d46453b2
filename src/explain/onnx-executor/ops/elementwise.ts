import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpTable } from '../op-context';
import { detach, input, trunc, UnsupportedAttributeError } from '../op-context';

// Numpy-broadcasting arithmetic, comparisons and unary math. tfjs broadcasts the same way ONNX does (opset ≥ 7).

const binary = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (ctx: OpContext) => {
  if (ctx.attrs.has('broadcast') && ctx.attrs.has('axis')) throw new UnsupportedAttributeError('legacy broadcast axis (opset < 7)');
  return f(input(ctx, 0), input(ctx, 1));
};
const unary = (f: (a: tf.Tensor) => tf.Tensor) => (ctx: OpContext) => f(input(ctx, 0));
const variadic = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (ctx: OpContext) => {
  const xs = ctx.inputs.filter((t): t is tf.Tensor => !!t);
  return xs.slice(1).reduce((acc, t) => f(acc, t), xs[0]);
};
/** Comparison/logic results carry no gradient; see `detach`. */
const logic = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => binary((a, b) => detach(f(a, b)));
const asFloat = (t: tf.Tensor) => (t.dtype === 'float32' ? t : t.toFloat());

function divide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype === 'int32' && b.dtype === 'int32') {
    // ONNX integer division truncates toward zero; tfjs floors.
    return detach(trunc(tf.div(a.toFloat(), b.toFloat())).toInt());
  }
  return tf.div(a, b);
}

function pow(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const out = tf.pow(asFloat(a), asFloat(b));
  return a.dtype === 'int32' ? out.round().toInt() : out;
}

function mod(ctx: OpContext): tf.Tensor {
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  if (ctx.attrs.int('fmod', 0) === 1) {
    const t = trunc(tf.div(asFloat(a), asFloat(b)));
    const r = tf.sub(asFloat(a), tf.mul(t, asFloat(b)));
    return a.dtype === 'int32' ? r.toInt() : r;
  }
  return tf.mod(a, b);
}

export const elementwiseOps: OpTable = {
  Add: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  Div: binary(divide),
  Pow: binary(pow),
  Mod: mod,
  Max: variadic(tf.maximum),
  Min: variadic(tf.minimum),
  Sum: variadic(tf.add),
  Mean: (ctx) => {
    const xs = ctx.inputs.filter((t): t is tf.Tensor => !!t);
    return tf.div(xs.slice(1).reduce((acc, t) => tf.add(acc, t), xs[0]), xs.length);
  },
  Sqrt: unary(tf.sqrt),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Neg: unary(tf.neg),
  Abs: unary(tf.abs),
  Reciprocal: unary(tf.reciprocal),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Round: unary(tf.round), // tfjs rounds half to even, as ONNX does
  Sign: unary(tf.sign),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Tan: unary(tf.tan),
  Asin: unary(tf.asin),
  Acos: unary(tf.acos),
  Atan: unary(tf.atan),
  Sinh: unary(tf.sinh),
  Cosh: unary(tf.cosh),
  Asinh: unary(tf.asinh),
  Acosh: unary(tf.acosh),
  Atanh: unary(tf.atanh),
  Equal: logic(tf.equal),
  Less: logic(tf.less),
  LessOrEqual: logic(tf.lessEqual),
  Greater: logic(tf.greater),
  GreaterOrEqual: logic(tf.greaterEqual),
  And: logic(tf.logicalAnd),
  Or: logic(tf.logicalOr),
  Xor: logic(tf.logicalXor),
  Not: unary((x) => detach(tf.logicalNot(x))),
  IsNaN: unary((x) => detach(tf.isNaN(x))),
  Where: (ctx) => {
    // tf.where broadcasts condition against both branches only when the branches share one shape.
    const c = input(ctx, 0);
    const a = input(ctx, 1);
    const b = input(ctx, 2);
    const s = broadcastShape(broadcastShape(c.shape, a.shape), b.shape);
    const grow = (t: tf.Tensor) => (t.shape.join() === s.join() ? t : tf.broadcastTo(t, s));
    return tf.where(detach(grow(c).toBool()), grow(a), grow(b));
  },
};

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}
