// Whole models through the differentiable executor: a small CNN (asymmetric pads, grouped + dilated + strided conv,
// depthwise conv, MaxPool, Flatten, Gemm, Softmax) and a decoder-style model (ConvTranspose, BatchNormalization,
// Resize, LayerNormalization, Gelu) against onnxruntime-node; tf.grad against central finite differences;
// unsupported operators; weight replacement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../support/tfjs-fixtures'; // tfjs set up as the product runs it (no console banner)
import * as ort from 'onnxruntime-node';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { openModel } from '../../src/formats/registry';
import { loadDifferentiable, unsupportedOperators, UnsupportedOperatorError } from '../../src/explain/onnx-executor';

const dir = mkdtempSync(join(tmpdir(), 'mi-exec-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function random(seed: number): (n: number, scale?: number) => number[] {
  let s = seed >>> 0;
  return (n, scale = 1) => Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

function cnn(): OnnxBuilder {
  const r = random(7);
  return new OnnxBuilder()
    .input('x', 'float32', [1, 3, 8, 8])
    .initializer('W1', 'float32', [4, 3, 3, 3], r(108, 0.4)).initializer('B1', 'float32', [4], r(4, 0.1))
    .initializer('W2', 'float32', [4, 2, 3, 3], r(72, 0.4))
    .initializer('W3', 'float32', [4, 1, 3, 3], r(36, 0.5)).initializer('B3', 'float32', [4], r(4, 0.1))
    .initializer('W4', 'float32', [5, 16], r(80, 0.5)).initializer('B4', 'float32', [5], r(5, 0.1))
    .node('Conv', ['x', 'W1', 'B1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 0, 1, 2] })
    .node('Relu', ['c1'], ['r1'])
    .node('Conv', ['r1', 'W2'], ['c2'], { group: 2, dilations: [2, 2], strides: [2, 2], pads: [2, 2, 2, 2] })
    .node('Conv', ['c2', 'W3', 'B3'], ['c3'], { group: 4, pads: [1, 1, 1, 1] })
    .node('MaxPool', ['c3'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] })
    .node('Flatten', ['p'], ['f'])
    .node('Gemm', ['f', 'W4', 'B4'], ['logits'], { transB: 1, alpha: 1.5 })
    .node('Softmax', ['logits'], ['y'], { axis: 1 })
    .output('y', 'float32', [1, 5]);
}

function decoder(): OnnxBuilder {
  const r = random(11);
  return new OnnxBuilder()
    .input('z', 'float32', [1, 4, 3, 3])
    .initializer('Wt', 'float32', [4, 2, 3, 3], r(72, 0.4)).initializer('Bt', 'float32', [2], r(2, 0.1))
    .initializer('scale', 'float32', [2], [1.2, 0.8]).initializer('bias', 'float32', [2], [0.1, -0.2])
    .initializer('mean', 'float32', [2], [0.05, -0.1]).initializer('var', 'float32', [2], [0.9, 1.3])
    .initializer('sizes', 'int64', [4], [1, 2, 9, 11])
    .initializer('gamma', 'float32', [11], r(11, 1)).initializer('beta', 'float32', [11], r(11, 0.2))
    .node('ConvTranspose', ['z', 'Wt', 'Bt'], ['u'], { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 1] })
    .node('BatchNormalization', ['u', 'scale', 'bias', 'mean', 'var'], ['bn'])
    .node('Resize', ['bn', '', '', 'sizes'], ['rs'], { mode: 'linear' })
    .node('LayerNormalization', ['rs', 'gamma', 'beta'], ['ln'], { axis: -1 })
    .node('Gelu', ['ln'], ['y'])
    .output('y', 'float32', [1, 2, 9, 11])
    .opset('', 20);
}

async function viaOrt(path: string, feeds: Record<string, { data: number[]; dims: number[] }>): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(path);
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v.data), v.dims)]));
    const out = await s.run(inputs);
    return out[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let maxAbs = 0;
  let err = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
    err = Math.max(err, Math.abs(got[i] - want[i]));
  }
  return err / maxAbs;
}

/** tf.grad of one output element wrt the input vs central differences at a few input positions. */
function gradientCheck(run: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, outIndex: number, positions: number[]): { analytic: number[]; numeric: number[] } {
  const f = (t: tf.Tensor) => run(t).flatten().gather([outIndex]).sum() as tf.Scalar;
  const g = tf.tidy(() => tf.grad(f)(x).dataSync());
  const base = x.dataSync();
  const eps = 1e-2;
  const numeric = positions.map((p) => tf.tidy(() => {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[p] += eps;
    minus[p] -= eps;
    const hi = f(tf.tensor(plus, x.shape)).dataSync()[0];
    const lo = f(tf.tensor(minus, x.shape)).dataSync()[0];
    return (hi - lo) / (2 * eps);
  }));
  return { analytic: positions.map((p) => g[p]), numeric };
}

for (const [name, build, inputName, shape] of [
  ['CNN (Conv groups/dilations/asymmetric pads, MaxPool, Flatten, Gemm, Softmax)', cnn, 'x', [1, 3, 8, 8]],
  ['decoder (ConvTranspose, BatchNormalization, Resize linear, LayerNormalization, Gelu)', decoder, 'z', [1, 4, 3, 3]],
] as const) {
  test(`${name}: outputs match onnxruntime and gradients match finite differences`, async () => {
    const path = writeModel(dir, `${inputName}.onnx`, build());
    const data = random(3)(shape.reduce((a: number, b: number) => a * b, 1));
    const want = await viaOrt(path, { [inputName]: { data, dims: [...shape] } });
    const model = await openModel(path);
    const exec = await loadDifferentiable(model);
    try {
      const x = tf.tensor(data, [...shape]);
      const got = tf.tidy(() => exec.run({ [inputName]: x })[exec.outputNames[0]].dataSync());
      const rel = maxRelErr(got, want);
      console.log(`${name}: max abs error vs onnxruntime ${rel.toExponential(2)} of max |output|`);
      assert.ok(rel <= 1e-4, `max relative error ${rel}`);
      const run = (t: tf.Tensor) => exec.run({ [inputName]: t })[exec.outputNames[0]];
      const { analytic, numeric } = gradientCheck(run, x, 1, [0, 5, 17, 29, data.length - 1]);
      console.log(`  grad ${analytic.map((v) => v.toExponential(3)).join(' ')}\n  fd   ${numeric.map((v) => v.toExponential(3)).join(' ')}`);
      assert.ok(analytic.some((v) => Math.abs(v) > 1e-4), 'gradient is all zeros');
      analytic.forEach((a, i) => assert.ok(Math.abs(a - numeric[i]) <= 2e-3 + 0.05 * Math.abs(numeric[i]), `d/dx[${i}]: ${a} vs finite difference ${numeric[i]}`));
      x.dispose();
    } finally {
      exec.dispose();
    }
  });
}

test('extra outputs, weight names and setWeights (randomization check)', async () => {
  const path = writeModel(dir, 'cnn2.onnx', cnn());
  const exec = await loadDifferentiable(await openModel(path));
  try {
    assert.deepEqual(exec.inputNames, ['x']);
    assert.deepEqual(exec.weightNames(), ['W1', 'B1', 'W2', 'W3', 'B3', 'W4', 'B4']);
    const x = tf.randomNormal([1, 3, 8, 8], 0, 1, 'float32', 5);
    const outs = tf.tidy(() => {
      const o = exec.run({ x }, ['f']);
      return { f: o.f.shape, y: Array.from(o.y.dataSync()) };
    });
    assert.deepEqual(outs.f, [1, 16]);
    exec.setWeights({ W4: tf.zeros([5, 16]), B4: tf.zeros([5]) });
    const y = tf.tidy(() => Array.from(exec.run({ x }).y.dataSync()));
    assert.notDeepEqual(y, outs.y);
    for (const v of y) assert.ok(Math.abs(v - 0.2) < 1e-6, `zeroed classifier should give uniform 0.2, got ${v}`);
    assert.throws(() => exec.setWeights({ W4: tf.zeros([2, 2]) }), /shape/);
    x.dispose();
  } finally {
    exec.dispose();
  }
});

test('unsupported operators are named, the load is refused', async () => {
  const b = new OnnxBuilder()
    .input('x', 'float32', [4])
    .initializer('k', 'int64', [1], [2])
    .node('TopK', ['x', 'k'], ['v', 'i'])
    .node('Relu', ['v'], ['r'])
    .node('NonMaxSuppression', ['r', 'r'], ['n'])
    .node('Fancy', ['r'], ['y'], {}, { domain: 'com.example' })
    .output('y', 'float32');
  const model = await openModel(writeModel(dir, 'unsupported.onnx', b));
  assert.deepEqual(unsupportedOperators(model), ['NonMaxSuppression', 'TopK', 'com.example:Fancy']);
  await assert.rejects(loadDifferentiable(model), (e: unknown) => {
    assert.ok(e instanceof UnsupportedOperatorError);
    assert.equal(e.message, 'Unsupported ONNX operators for gradients: NonMaxSuppression, TopK, com.example:Fancy');
    assert.deepEqual(e.ops, ['NonMaxSuppression', 'TopK', 'com.example:Fancy']);
    return true;
  });
});

test('batched MatMul broadcasting and a Shape → Gather → Concat → Reshape chain match onnxruntime', async () => {
  const r = random(19);
  const b = new OnnxBuilder()
    .input('a', 'float32', [2, 1, 3, 4])
    .initializer('W', 'float32', [5, 4, 2], r(40, 1))
    .initializer('v', 'float32', [2], [0.5, -1.5])
    .initializer('i0', 'int64', [1], [0]).initializer('minus1', 'int64', [1], [-1])
    .node('MatMul', ['a', 'W'], ['m']) // [2,1,3,4] x [5,4,2] → [2,5,3,2]
    .node('MatMul', ['m', 'v'], ['mv']) // 1-D right operand → [2,5,3]
    .node('Shape', ['mv'], ['s'])
    .node('Gather', ['s', 'i0'], ['batch'])
    .node('Concat', ['batch', 'minus1'], ['target'], { axis: 0 })
    .node('Reshape', ['mv', 'target'], ['y'])
    .output('y', 'float32', [2, 15]);
  const path = writeModel(dir, 'matmul.onnx', b);
  const data = r(24, 1);
  const want = await viaOrt(path, { a: { data, dims: [2, 1, 3, 4] } });
  const exec = await loadDifferentiable(await openModel(path));
  try {
    const got = tf.tidy(() => {
      const y = exec.run({ a: tf.tensor(data, [2, 1, 3, 4]) }).y;
      assert.deepEqual(y.shape, [2, 15]);
      return y.dataSync();
    });
    assert.ok(maxRelErr(got, want) <= 1e-4, `max relative error ${maxRelErr(got, want)}`);
  } finally {
    exec.dispose();
  }
});
