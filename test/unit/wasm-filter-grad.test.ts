// The training script's WASM filter-gradient shim (examples/wasm-filter-grad.ts) must give tfjs' CPU answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConv2dFilterGrad } from '../../examples/wasm-filter-grad';

test('conv2d filter gradient on WASM through the 3-D kernel equals the CPU backend (stride 1, same and valid)', async () => {
  registerWasmConv2dFilterGrad();
  const prev = tf.getBackend();
  await tf.setBackend('cpu');
  const x = Array.from(tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1).dataSync());
  const f = Array.from(tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2).dataSync());
  try {
    for (const pad of ['same', 'valid'] as const) {
      const grads: Float32Array[] = [];
      for (const b of ['cpu', 'wasm']) {
        await tf.setBackend(b);
        const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), w as tf.Tensor4D, 1, pad).square().sum())(tf.tensor4d(f, [3, 3, 3, 5])));
        grads.push(g.dataSync() as Float32Array);
        g.dispose();
      }
      const scale = Math.max(...Array.from(grads[0], Math.abs));
      const err = Math.max(...Array.from(grads[0], (v, i) => Math.abs(v - grads[1][i])));
      assert.ok(err < 1e-5 * scale, `${pad}: max difference ${err} (scale ${scale})`);
    }
  } finally {
    await tf.setBackend(prev ?? 'cpu');
  }
});
