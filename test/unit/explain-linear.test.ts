// Linear models have known attributions: d y_k / d x = W[:, k] and IG = (x − baseline) · W[:, k] exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { saveLayersModel, tempDir, tf } from '../support/tfjs-fixtures';
import { encodeNpy } from '../../src/formats/arrays/npy';
import { openModel } from '../../src/formats/registry';
import { explainModel } from '../../src/explain/explain';

const W = [0.5, -1.25, 2, 0.75, 0.1, -0.3, -2.5, 1.5, 0.25, 1, -0.5, 3]; // [4, 3]
const B = [0.1, -0.2, 0.3];
const X = new Float32Array([0.9, -0.4, 1.7, 0.3]);
const TARGET = 1;
const col = (k: number) => [0, 1, 2, 3].map((i) => W[i * 3 + k]);

async function check(path: string, dir: string): Promise<void> {
  const input = join(dir, 'x.npy');
  await writeFile(input, encodeNpy({ dtype: 'float32', shape: [1, 4], data: X }));
  const model = await openModel(path);
  const r = await explainModel(model, { methods: ['vanilla', 'gradxinput', 'ig'], inputs: [{ file: input }], target: TARGET });
  const [v, gx, ig] = r.maps;
  for (const m of r.maps) assert.equal(m.error, undefined, m.error);
  assert.deepEqual(v.shape, [1, 4]);
  // the map shows |grad| (a magnitude method); the full attribution (what the CLI writes) keeps the sign
  const grad = Array.from(r.full.get('vanilla')!);
  col(TARGET).forEach((w, i) => assert.ok(Math.abs(w - grad[i]) < 1e-5, `grad[${i}] ${grad[i]} vs w ${w}`));
  col(TARGET).forEach((w, i) => assert.ok(Math.abs(Math.abs(w) - v.values[i]) < 1e-5));
  col(TARGET).forEach((w, i) => assert.ok(Math.abs(gx.values[i] - w * X[i]) < 1e-5));
  col(TARGET).forEach((w, i) => assert.ok(Math.abs(ig.values[i] - (X[i] - 0) * w) < 1e-5, `ig[${i}] ${ig.values[i]} vs ${X[i] * w}`));
  assert.ok(ig.completeness! < 1e-3, `completeness residual ${ig.completeness}`);
  await model?.dispose?.();
}

test('ONNX Gemm: gradient = weights, IG = (x − 0)·w, completeness < 1e-3', async () => {
  const { dir, cleanup } = await tempDir('explain-lin-');
  try {
    const b = new OnnxBuilder().input('x', 'float32', ['N', 4]).initializer('W', 'float32', [4, 3], W).initializer('B', 'float32', [3], B)
      .node('Gemm', ['x', 'W', 'B'], ['y']).output('y', 'float32', ['N', 3]);
    await check(writeModel(dir, 'lin.onnx', b), dir);
  } finally {
    await cleanup();
  }
});

test('TF.js Dense: gradient = weights, IG = (x − 0)·w, completeness < 1e-3', async () => {
  const { dir, cleanup } = await tempDir('explain-lin-');
  try {
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
    m.layers[0].setWeights([tf.tensor2d(W, [4, 3]), tf.tensor1d(B)]);
    const { jsonPath } = await saveLayersModel(m, dir);
    await check(jsonPath, dir);
  } finally {
    await cleanup();
  }
});
