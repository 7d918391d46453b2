// The WASM Conv2DBackpropFilter kernel (src/runtime/backends/tfjs/wasm-conv-grads.ts) must give tfjs' CPU answer for
// every stride and padding gradient methods meet, and make saliency work on a Keras conv model without an activation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tf } from '../support/tfjs-fixtures'; // tfjs set up as the product runs it (no console banner)
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConv2dFilterGrad, registerWasmDepthwiseInputGrad } from '../../src/runtime/backends/tfjs/wasm-conv-grads';
import { selectTfjsBackend } from '../../src/runtime/backends/tfjs/backend';
import { openModel } from '../../src/formats/registry';
import { explainModel } from '../../src/explain/explain';

/** The same gradient on tfjs' CPU backend and on WASM: the largest difference and the largest |value|. */
async function cpuVsWasm(grad: () => tf.Tensor): Promise<{ err: number; scale: number }> {
  const grads: Float32Array[] = [];
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b);
    const g = tf.tidy(grad);
    grads.push(g.dataSync() as Float32Array);
    g.dispose();
  }
  let scale = 0;
  let err = 0;
  for (let i = 0; i < grads[0].length; i++) {
    scale = Math.max(scale, Math.abs(grads[0][i]));
    err = Math.max(err, Math.abs(grads[0][i] - grads[1][i]));
  }
  return { err, scale };
}

test('conv2d filter gradient on WASM equals the CPU backend: strides 1-3, same, valid and explicit padding, odd sizes', async () => {
  await selectTfjsBackend(['tfjs-wasm']);
  registerWasmConv2dFilterGrad();
  const cases: { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'same' | 'valid' | number }[] = [
    { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'same' },
    { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 1, pad: 'valid' },
    { x: [1, 11, 10, 2], f: [3, 3, 2, 4], s: 2, pad: 'same' },
    { x: [1, 11, 10, 2], f: [3, 2, 2, 4], s: 2, pad: 'valid' },
    { x: [2, 13, 12, 3], f: [5, 5, 3, 2], s: 3, pad: 'same' },
    { x: [1, 8, 8, 1], f: [3, 3, 1, 2], s: 1, pad: 1 },
  ];
  for (const c of cases) {
    const xs = Array.from(tf.randomNormal(c.x, 0, 1, 'float32', 1).dataSync());
    const fs = Array.from(tf.randomNormal(c.f, 0, 1, 'float32', 2).dataSync());
    const { err, scale } = await cpuVsWasm(() => tf.grad((w: tf.Tensor) => tf.conv2d(tf.tensor4d(xs, c.x), w as tf.Tensor4D, c.s, c.pad).square().sum())(tf.tensor4d(fs, c.f)));
    assert.ok(err < 1e-4 * scale, `${JSON.stringify(c)}: max difference ${err} (scale ${scale})`);
  }
  await selectTfjsBackend(['tfjs-wasm']);
});

test('depthwise conv2d input gradient on WASM equals the CPU backend: strides 1-2, same and valid, channel multipliers 1 and 2', async () => {
  await selectTfjsBackend(['tfjs-wasm']);
  registerWasmDepthwiseInputGrad();
  const cases: { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'same' | 'valid' }[] = [
    { x: [1, 9, 9, 3], f: [3, 3, 3, 1], s: 1, pad: 'same' },
    { x: [2, 9, 8, 3], f: [3, 3, 3, 1], s: 1, pad: 'valid' },
    { x: [1, 12, 12, 4], f: [3, 3, 4, 1], s: 2, pad: 'same' },
    { x: [1, 11, 10, 2], f: [3, 3, 2, 1], s: 2, pad: 'same' },
    { x: [1, 11, 10, 2], f: [3, 2, 2, 2], s: 2, pad: 'valid' },
    { x: [2, 7, 7, 2], f: [5, 5, 2, 2], s: 1, pad: 'same' },
  ];
  for (const c of cases) {
    const xs = Array.from(tf.randomNormal(c.x, 0, 1, 'float32', 3).dataSync());
    const fs = Array.from(tf.randomNormal(c.f, 0, 1, 'float32', 4).dataSync());
    const { err, scale } = await cpuVsWasm(() => tf.grad((x: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, tf.tensor4d(fs, c.f), c.s, c.pad).square().sum())(tf.tensor4d(xs, c.x)));
    assert.ok(err < 1e-4 * scale, `${JSON.stringify(c)}: max difference ${err} (scale ${scale})`);
  }
  await selectTfjsBackend(['tfjs-wasm']);
});

test('vanilla saliency runs on a Keras model whose Conv2D has no activation (fused conv under tf.grad)', async () => {
  const model = await openModel(join(__dirname, '../fixtures/keras/tiny-cnn.keras'));
  try {
    const r = await explainModel(model, { methods: ['vanilla'], providers: ['tfjs-wasm'] });
    assert.equal(r.maps[0].error, undefined, r.maps[0].error);
    assert.ok(r.maps[0].values.some((v) => v !== 0), 'an all-zero map');
  } finally {
    await model.dispose?.();
  }
});
