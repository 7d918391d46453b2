// The Keras reader's artifacts run in tfjs-layers: tf.loadLayersModel(tf.io.fromMemory(kerasArtifacts(model)))
// predicts what numpy computed from the same weights (test/fixtures/keras/make.py), for Keras 3 and Keras 2 files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tf } from '../support/tfjs-fixtures'; // tfjs set up as the product runs it (no console banner)
import { openModel as open } from '../../src/formats/registry';
import { kerasArtifacts, TFJS_LAYER_CLASSES } from '../../src/formats/keras/artifacts';
import { ModelError } from '../../src/model/errors';
import { entriesOf, zipOf } from './pytorch-fixtures';

const dir = join(__dirname, '../fixtures/keras');
interface Truth { input: { shape: number[]; values: number[] }; output: { shape: number[]; values: number[] } }
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, Truth>;

// regularized.*: regularizers (L2, L1, OrthogonalRegularizer, a user's registered class), constraints and initializers
// tfjs has no class for, written as Keras 2.x and 3.x write them (see make.py): dropped, since they never change a
// forward pass.
for (const file of ['tiny-cnn.keras', 'tiny-mlp.keras', 'tiny-mlp.h5', 'nested.keras', 'regularized.h5', 'regularized.keras']) {
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

/** tiny-mlp.keras with its config changed: written next to the test, removed after. */
async function withConfig(edit: (config: { config: { layers: Record<string, unknown>[] } }) => void, version = '3.6.0'): Promise<string> {
  const entries = await entriesOf(join(dir, 'tiny-mlp.keras'));
  const out = entries.map(([name, data]): [string, Uint8Array] => {
    if (name === 'metadata.json') return [name, Buffer.from(JSON.stringify({ keras_version: version }))];
    if (name !== 'config.json') return [name, data];
    const config = JSON.parse(Buffer.from(data).toString('utf8'));
    edit(config);
    return [name, Buffer.from(JSON.stringify(config))];
  });
  const path = join(mkdtempSync(join(tmpdir(), 'mi-keras-art-')), 'edited.keras');
  writeFileSync(path, zipOf(out));
  return path;
}

/** The same, with its first Dense layer's config changed. */
const withFirstDense = (edit: (cfg: Record<string, unknown>) => void, version = '3.6.0') =>
  withConfig((config) => edit(config.config.layers[1].config as Record<string, unknown>), version);

for (const [activation, version] of [['leaky_relu', '3.6.0'], ['hard_sigmoid', '3.6.0'], [{ module: 'builtins', class_name: 'function', config: 'my_act', registered_name: 'function' }, '3.6.0']] as const) {
  const label = typeof activation === 'string' ? activation : 'a custom function';
  test(`an activation TF.js computes differently or not at all (${label}, Keras ${version}): one whole ModelError naming layer and activation`, async () => {
    const path = await withFirstDense((cfg) => { cfg.activation = activation; }, version);
    const model = await open(path);
    try {
      const name = typeof activation === 'string' ? activation : 'my_act';
      await assert.rejects(kerasArtifacts(model), (e) => e instanceof ModelError
        && e.message.startsWith(`edited.keras: layer 'dense' uses activation '${name}', which TF.js `)
        && !e.message.includes('…') && !e.message.includes('\n'));
    } finally {
      await model.dispose?.();
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });
}

test('hard_sigmoid in a Keras 2 file is the one tfjs computes (0.2x + 0.5): it runs', async () => {
  const path = await withFirstDense((cfg) => { cfg.activation = 'hard_sigmoid'; }, '2.15.0');
  const model = await open(path);
  try {
    const layers = await tf.loadLayersModel(tf.io.fromMemory(await kerasArtifacts(model)));
    layers.dispose();
  } finally {
    await model.dispose?.();
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test('a wrapper around a class TF.js lacks (TimeDistributed(UnitNormalization)): one whole ModelError naming the wrapped layer', async () => {
  // In place of dense_1, whose variables the archive holds (a layer group Keras 3 would have written for the wrapper).
  const path = await withConfig((config) => {
    config.config.layers[2] = {
      module: 'keras.layers', class_name: 'TimeDistributed', registered_name: null,
      config: { name: 'dense_1', trainable: true, dtype: 'float32',
        layer: { module: 'keras.layers', class_name: 'UnitNormalization', config: { name: 'unit_normalization', axis: -1 }, registered_name: null } },
    };
  });
  const model = await open(path);
  try {
    await assert.rejects(kerasArtifacts(model), (e) => e instanceof ModelError
      && e.message === "edited.keras: layer 'dense_1/unit_normalization' (class UnitNormalization) has no TF.js implementation; the model can be viewed but not run");
  } finally {
    await model.dispose?.();
    rmSync(dirname(path), { recursive: true, force: true });
  }
});
