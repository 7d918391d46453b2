// Gradients through convolutions the WebAssembly backend cannot differentiate: tfjs-layers runs a Conv2D or
// DepthwiseConv2D without activation as a fused op, whose gradient asks for Conv2DBackpropFilter (and the depthwise
// backprops), kernels 'wasm' lacks. A TF.js MobileNet hit this: vanilla failed with "Kernel 'Conv2DBackpropFilter'
// not registered for backend 'wasm'". The map must come out, equal to the gradient tf.grad gives on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { explainModel } from '../../src/explain/explain';
import { saveLayersModel, tempDir, tf, tfReady } from '../support/tfjs-fixtures';

test('vanilla gradients of a MobileNet-like TF.js model on the wasm backend', async () => {
  await tfReady();
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw', depthwiseInitializer: tf.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'logits', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  const values = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.7) + 0.5);
  const target = 1;
  // Expected: d logit[target] / d input on the CPU backend, reduced like a magnitude map (Σ over channels of |g|).
  const g = tf.tidy(() => tf.grad((t: tf.Tensor) => (m.apply(t) as tf.Tensor).slice([0, target], [1, 1]).sum())(tf.tensor(values, [1, 8, 8, 3]))).dataSync();
  const want = Array.from({ length: 64 }, (_, p) => Math.abs(g[p * 3]) + Math.abs(g[p * 3 + 1]) + Math.abs(g[p * 3 + 2]));
  const { dir, cleanup } = await tempDir('wasm-grad-');
  try {
    const { jsonPath } = await saveLayersModel(m, dir);
    const npy = join(dir, 'x.npy');
    const { writeFile } = await import('node:fs/promises');
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8, 8, 3), }`;
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const head = Buffer.alloc(10);
    head.write('\x93NUMPY', 0, 'latin1');
    head[6] = 1;
    head.writeUInt16LE(padded.length, 8);
    await writeFile(npy, Buffer.concat([head, Buffer.from(padded, 'latin1'), Buffer.from(values.buffer)]));
    const r = await explainModel(jsonPath, { methods: ['vanilla'], target, inputs: [{ file: npy }], providers: ['tfjs-wasm'] });
    assert.equal(r.maps[0].error, undefined, `vanilla failed: ${r.maps[0].error}`);
    assert.equal(tf.getBackend(), 'wasm', 'the wasm backend is active again afterwards');
    const got = r.maps[0].values;
    assert.equal(got.length, 64);
    const scale = Math.max(...want);
    assert.ok(scale > 0, 'the expected gradient is not all zero');
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * scale + 1e-6, `pixel ${i}: ${got[i]} vs ${want[i]}`);
  } finally {
    await tf.setBackend('cpu');
    await cleanup();
  }
});
