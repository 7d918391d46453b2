// The Keras reader's artifacts run in tfjs-layers: tf.loadLayersModel(tf.io.fromMemory(kerasArtifacts(model)))
// predicts what numpy computed from the same weights (test/fixtures/keras/make.py), for Keras 3 and Keras 2 files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../support/tfjs-fixtures'; // tfjs set up as the product runs it (no console banner)
import { openModel as open } from '../../src/formats/registry';
import { kerasArtifacts, TFJS_LAYER_CLASSES } from '../../src/formats/keras/artifacts';
import { ModelError } from '../../src/model/errors';

const dir = join(__dirname, '../fixtures/keras');
interface Truth { input: { shape: number[]; values: number[] }; output: { shape: number[]; values: number[] } }
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, Truth>;

for (const file of ['tiny-cnn.keras', 'tiny-mlp.keras', 'tiny-mlp.h5', 'nested.keras']) {
  test(`${file}: tfjs runs the artifacts and predicts numpy's output within 1e-4`, async () => {
    const model = await open(join(dir, file));
    try {
      const artifacts = await kerasArtifacts(model);
      const layers = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      const want = truth[file];
      const y = layers.predict(tf.tensor(want.input.values, want.input.shape)) as tf.Tensor;
      assert.deepEqual(y.shape, want.output.shape);
      const got = Array.from(await y.data());
      got.forEach((v, i) => assert.ok(Math.abs(v - want.output.values[i]) <= 1e-4, `${file} output[${i}]: ${v} vs numpy ${want.output.values[i]}`));
      layers.dispose();
    } finally {
      await model.dispose?.();
    }
  });
}

test('a weights-only file has nothing to run: a ModelError says so', async () => {
  const model = await open(join(dir, 'tiny-mlp.weights.h5'));
  try {
    await assert.rejects(kerasArtifacts(model), (e) => e instanceof ModelError && /^tiny-mlp\.weights\.h5: cannot be run through TF\.js: it holds weights only/.test(e.message));
  } finally {
    await model.dispose?.();
  }
});

test('every layer class the artifacts accept is one tfjs-layers can deserialize', () => {
  const registered = new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
  for (const cls of TFJS_LAYER_CLASSES) assert.ok(registered.has(cls), `${cls} is not registered in tfjs ${tf.version.tfjs}`);
});
