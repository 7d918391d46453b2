import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tfjsReader, dequantizeTfjs } from '../../src/formats/tfjs/reader';
import { openModel } from '../../src/formats/registry';
import type { Model, Tensor } from '../../src/model';
import { parameterCount } from '../../src/model';
import { diskHandler, saveLayersModel, sequentialCnn, tempDir, tf, tfReady, twoBranchModel, writeTfjsModel } from '../support/tfjs-fixtures';

const dirs: (() => Promise<void>)[] = [];
after(async () => Promise.all(dirs.map((c) => c())));

async function dir(): Promise<string> {
  const t = await tempDir('tfjs-layers-');
  dirs.push(t.cleanup);
  return t.dir;
}

async function readAll(t: Tensor): Promise<Float32Array> {
  assert.ok(t.data, `${t.name} has bytes (${t.problem ?? ''})`);
  return dequantizeTfjs(await t.data.read(0, t.data.byteLength), t);
}

/** Every layer weight must come back bit-exact from our lazy shard reads. */
async function assertWeightsRoundTrip(model: Model, layersModel: tf.LayersModel): Promise<void> {
  const ours = new Map(model.graph.initializers.map((t) => [t.name, t]));
  const theirs = layersModel.weights;
  assert.equal(ours.size, theirs.length);
  for (const w of theirs) {
    const t = ours.get(w.originalName);
    assert.ok(t, `weight ${w.originalName} is read`);
    assert.deepEqual(t.shape, w.shape);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(await readAll(t), w.read().dataSync() as Float32Array);
  }
}

test('Sequential CNN: layers, shapes, weights wired and round-tripped exactly', async () => {
  await tfReady();
  const m = sequentialCnn();
  const d = await dir();
  const { jsonPath } = await saveLayersModel(m, d);
  const model = await openModel(jsonPath);
  try {
    assert.equal(model.format, 'tfjs-layers');
    assert.deepEqual(model.graph.nodes.map((n) => n.opType), ['Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
    assert.ok(model.graph.nodes.every((n) => n.domain === 'keras'));
    assert.deepEqual(model.graph.inputs, ['conv_input']);
    const input = model.graph.values.get('conv_input')!;
    assert.deepEqual(input.shape, ['batch', 8, 8, 1]);
    assert.equal(input.dtype, 'float32');
    assert.deepEqual(model.graph.outputs, ['out']);
    // Shapes we infer must agree with what tfjs computes for the same layers.
    for (const layer of m.layers) {
      const shape = model.graph.values.get(layer.name)!.shape;
      assert.deepEqual(shape, (layer.outputShape as (number | null)[]).map((x, i) => (x === null && i === 0 ? 'batch' : x)), layer.name);
    }
    const conv = model.graph.nodes[0];
    assert.deepEqual(conv.inputs, ['conv_input', 'conv/kernel', 'conv/bias']);
    assert.deepEqual(conv.attributes.find((a) => a.name === 'filters')?.value, { type: 'int', value: 4 });
    assert.deepEqual(conv.attributes.find((a) => a.name === 'kernel_size')?.value, { type: 'ints', value: [3, 3] });
    assert.deepEqual(conv.attributes.find((a) => a.name === 'activation')?.value, { type: 'string', value: 'relu' });
    assert.equal(model.graph.values.get('conv/kernel')!.consumers[0], 'conv');
    assert.equal(parameterCount(model), m.countParams());
    assert.deepEqual(model.warnings, []);
    await assertWeightsRoundTrip(model, m);
    assert.equal(model.producer?.name, 'TensorFlow.js tfjs-layers');
    assert.equal(model.metadata.keras_version, `tfjs-layers ${tf.version.tfjs}`);
  } finally {
    await model.dispose?.();
  }
});

test('functional two-branch model: edges from inbound_nodes, concatenate joins both branches', async () => {
  await tfReady();
  const m = twoBranchModel();
  const d = await dir();
  const { jsonPath } = await saveLayersModel(m, d);
  const model = await tfjsReader.open(jsonPath);
  try {
    const byId = new Map(model.graph.nodes.map((n) => [n.id, n]));
    assert.deepEqual([...byId.keys()].sort(), ['branch_a', 'branch_b', 'cat', 'head']);
    assert.deepEqual(model.graph.inputs, ['x']);
    assert.deepEqual(model.graph.values.get('x')!.consumers.sort(), ['branch_a', 'branch_b']);
    assert.deepEqual(byId.get('cat')!.inputs, ['branch_a', 'branch_b']);
    assert.deepEqual(byId.get('head')!.inputs, ['cat', 'head/kernel', 'head/bias']);
    assert.deepEqual(model.graph.outputs, ['head']);
    assert.deepEqual(model.graph.values.get('cat')!.shape, ['batch', 5]);
    assert.deepEqual(model.graph.values.get('head')!.shape, ['batch', 2]);
    await assertWeightsRoundTrip(model, m);
  } finally {
    await model.dispose?.();
  }
});

test('weights split into 256-byte shards: a weight spanning shards reads exactly, tfjs loads the same files', async () => {
  await tfReady();
  const m = sequentialCnn();
  const d = await dir();
  const { jsonPath, shards } = await saveLayersModel(m, d, { shardBytes: 256 });
  assert.ok(shards.length >= 3, `several shards (${shards.length})`);
  const model = await tfjsReader.open(jsonPath);
  try {
    const kernel = model.graph.initializers.find((t) => t.name === 'out/kernel')!;
    assert.ok(kernel.data!.byteLength > 256, 'out/kernel is bigger than one shard');
    assert.match(kernel.origin ?? '', /^group1-shard\dof\d+\.bin @ \d+$/);
    await assertWeightsRoundTrip(model, m);
    // A read that starts in one shard and ends in the next, at an odd offset.
    const expected = new Uint8Array(m.getLayer('out').getWeights()[0].dataSync().buffer);
    const part = await kernel.data!.read(101, 300);
    assert.deepEqual(part, expected.slice(101, 401));
    // tfjs accepts the exact files we read, and predicts the same as the original model.
    const loaded = await tf.loadLayersModel(diskHandler(jsonPath));
    const x = tf.randomNormal([2, 8, 8, 1]);
    assert.deepEqual((loaded.predict(x) as tf.Tensor).dataSync(), (m.predict(x) as tf.Tensor).dataSync());
  } finally {
    await model.dispose?.();
  }
});

test('nested Sequential inside a functional model is flattened under its name as scope', async () => {
  await tfReady();
  const inner = tf.sequential({ name: 'block', layers: [tf.layers.dense({ units: 4, inputShape: [6], name: 'inner_dense' }), tf.layers.reLU({ name: 'inner_relu' })] });
  const x = tf.input({ shape: [6], name: 'inp' });
  const y = tf.layers.dense({ units: 1, name: 'final' }).apply(inner.apply(x)) as tf.SymbolicTensor;
  const m = tf.model({ inputs: x, outputs: y });
  const d = await dir();
  const { jsonPath } = await saveLayersModel(m, d);
  const model = await tfjsReader.open(jsonPath);
  try {
    const ids = model.graph.nodes.map((n) => `${n.scope}|${n.id}`);
    assert.deepEqual(ids, ['block|block/inner_dense', 'block|block/inner_relu', '|final']);
    assert.deepEqual(model.graph.nodes[0].inputs, ['inp', 'inner_dense/kernel', 'inner_dense/bias']);
    assert.deepEqual(model.graph.nodes[2].inputs, ['block/inner_relu', 'final/kernel', 'final/bias']);
    assert.deepEqual(model.graph.values.get('final')!.shape, ['batch', 1]);
    await assertWeightsRoundTrip(model, m);
  } finally {
    await model.dispose?.();
  }
});

test('Keras 3 topology (dict inbound_nodes, batch_shape, model_config wrapper) and shared layers', async () => {
  const kt = (layer: string, node: number, shape: (number | null)[]) => ({
    class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layer, node, 0] },
  });
  const layer = (name: string, cls: string, config: object, inbound: object[]) => ({ module: 'keras.layers', class_name: cls, name, config: { name, ...config }, inbound_nodes: inbound });
  const topology = {
    model_config: {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          layer('img', 'InputLayer', { batch_shape: [null, 4], dtype: 'float32' }, []),
          layer('shared', 'Dense', { units: 4 }, [
            { args: [kt('img', 0, [null, 4])], kwargs: {} },
            { args: [kt('shared', 0, [null, 4])], kwargs: {} },
          ]),
          layer('sum', 'Add', {}, [{ args: [[kt('shared', 0, [null, 4]), kt('shared', 1, [null, 4])]], kwargs: {} }]),
        ],
        input_layers: ['img', 0, 0],
        output_layers: ['sum', 0, 0],
      },
    },
    training_config: {},
  };
  const d = await dir();
  const kernel = { name: 'shared/kernel', shape: [4, 4], dtype: 'float32', bytes: new Uint8Array(64) };
  const { jsonPath } = await writeTfjsModel(d, topology, 'layers-model', [kernel]);
  const model = await tfjsReader.open(jsonPath);
  await model.dispose?.();
  assert.deepEqual(model.warnings, []);
  // The shared layer's weight feeds both of its calls.
  assert.deepEqual(model.graph.values.get('shared/kernel')!.consumers, ['shared', 'shared#1']);
  const byId = new Map(model.graph.nodes.map((n) => [n.id, n]));
  assert.deepEqual([...byId.keys()], ['shared', 'shared#1', 'sum']);
  assert.deepEqual(byId.get('shared#1')!.inputs, ['shared', 'shared/kernel']);
  assert.deepEqual(byId.get('sum')!.inputs, ['shared', 'shared#1']);
  assert.deepEqual(model.graph.inputs, ['img']);
  assert.deepEqual(model.graph.values.get('img')!.shape, ['batch', 4]);
  assert.deepEqual(model.graph.outputs, ['sum']);
  assert.deepEqual(model.graph.values.get('sum')!.shape, ['batch', 4]);
});
