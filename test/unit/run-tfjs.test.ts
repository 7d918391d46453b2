// Our TF.js runner (wasm backend when tfjs-node is absent) against direct @tensorflow/tfjs execution on the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { denseGraphModel, saveLayersModel, sequentialCnn, tempDir, tf, tfReady, twoBranchModel, writeTfjsModel } from '../support/tfjs-fixtures';
import { runModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';
import { encodeNpy } from '../../src/formats/arrays/npy';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `[${i}] ${a[i]} vs ${b[i]}`);
};

test.after(() => sessions.clear());

test('Layers CNN: runner output equals model.predict; provider and skipped backends reported', async () => {
  await tfReady();
  const { dir, cleanup } = await tempDir('mi-run-tfjs-');
  try {
    const model = sequentialCnn();
    const { jsonPath } = await saveLayersModel(model, dir);
    const x = Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => Math.sin(i * 0.37));
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [2, 8, 8, 1], data: x }));
    await tf.setBackend('cpu');
    const expected = (model.predict(tf.tensor(x, [2, 8, 8, 1])) as tf.Tensor).dataSync();

    const { summary, outputs } = await runModel(jsonPath, { inputs: [{ file: npy }], runs: 2 });
    let tfjsNode = true;
    try {
      require.resolve('@tensorflow/tfjs-node');
    } catch {
      tfjsNode = false;
    }
    if (!tfjsNode) {
      assert.equal(summary.provider, 'tfjs-wasm');
      assert.deepEqual(summary.skipped.map((s) => s.provider), ['tfjs-node']);
      assert.match(summary.skipped[0].reason, /not installed/);
    }
    assert.deepEqual(summary.outputs[0].shape, [2, 3]);
    close(outputs.values().next().value!.data as Float32Array, expected);
    assert.equal(summary.outputs[0].softmax, false); // already a distribution
  } finally {
    await cleanup();
  }
});

test('functional model on the tfjs-cpu backend with synthesized inputs equals direct execution', async () => {
  await tfReady();
  const { dir, cleanup } = await tempDir('mi-run-tfjs-');
  try {
    const model = twoBranchModel();
    const { jsonPath } = await saveLayersModel(model, dir);
    const { summary, outputs } = await runModel(jsonPath, { providers: ['cpu'], runs: 1, synth: 'ones', dims: { 'x[0]': 3 } });
    assert.equal(summary.provider, 'tfjs-cpu');
    assert.equal(summary.outputs[0].name, 'head');
    assert.deepEqual(summary.inputs[0].shape, [3, 5]);
    await tf.setBackend('cpu');
    const expected = (model.predict(tf.ones([3, 5])) as tf.Tensor).dataSync();
    close(outputs.values().next().value!.data as Float32Array, expected);
  } finally {
    await cleanup();
  }
});

test('Graph model (converter layout) runs and matches x·W + b then ReLU', async () => {
  await tfReady();
  const { dir, cleanup } = await tempDir('mi-run-tfjs-');
  try {
    const kernel = Float32Array.from([1, -1, 0.5, 2, -0.25, 0]);
    const bias = Float32Array.from([0.1, -0.2]);
    const g = denseGraphModel(kernel, bias);
    const { jsonPath } = await writeTfjsModel(dir, g.topology, 'graph-model', g.weights, { extra: { signature: g.signature } });
    const x = Float32Array.from([1, 2, 3, -1, 0, 4]);
    const npy = join(dir, 'x.npy');
    writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [2, 3], data: x }));
    const { summary, outputs } = await runModel(jsonPath, { inputs: [{ file: npy }], runs: 1 });
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        let s = bias[c];
        for (let k = 0; k < 3; k++) s += x[r * 3 + k] * kernel[k * 2 + c];
        want.push(Math.max(0, s));
      }
    }
    assert.deepEqual(summary.outputs[0].shape, [2, 2]);
    close(outputs.values().next().value!.data as Float32Array, want);
  } finally {
    await cleanup();
  }
});
