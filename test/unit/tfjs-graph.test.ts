import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tfjsReader, dequantizeTfjs } from '../../src/formats/tfjs/reader';
import { openModel } from '../../src/formats/registry';
import { denseGraphModel, diskHandler, tempDir, tf, tfReady, writeTfjsModel } from '../support/tfjs-fixtures';

const cleanups: (() => Promise<void>)[] = [];
after(async () => Promise.all(cleanups.map((c) => c())));

async function dir(): Promise<string> {
  const t = await tempDir('tfjs-graph-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const kernel = new Float32Array([0.5, -1, 2, 0.25, -0.75, 1.5]); // [3, 2]
const bias = new Float32Array([0.1, -0.2]);

test('graph model: tfjs runs our file, our reader shows ops, placeholder input, const weights and signature output', async () => {
  await tfReady();
  const d = await dir();
  const g = denseGraphModel(kernel, bias);
  const { jsonPath } = await writeTfjsModel(d, g.topology, 'graph-model', g.weights, { extra: { signature: g.signature, userDefinedMetadata: { author: 'test', labels: [1, 2] } } });

  // tfjs accepts the file and computes relu(x·K + b).
  const gm = await tf.loadGraphModel(diskHandler(jsonPath));
  const x = [[1, 2, 3], [-1, 0.5, 4]];
  const got = [...(gm.execute(tf.tensor2d(x)) as tf.Tensor).dataSync()];
  const want = x.flatMap((row) => [0, 1].map((j) => Math.fround(Math.max(0, row.reduce((a, v, i) => a + v * kernel[i * 2 + j], 0) + bias[j]))));
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `output ${i}: ${got[i]} vs ${want[i]}`);

  const model = await openModel(jsonPath);
  try {
    assert.equal(model.format, 'tfjs-graph');
    assert.deepEqual(model.graph.nodes.map((n) => n.opType), ['MatMul', 'BiasAdd', 'Relu', 'Identity']);
    assert.ok(model.graph.nodes.every((n) => n.domain === 'tfjs'));
    assert.deepEqual(model.graph.nodes.map((n) => n.scope), ['dense', 'dense', 'dense', '']);
    assert.deepEqual(model.graph.inputs, ['x']);
    assert.deepEqual(model.graph.values.get('x')?.shape, ['batch', 3]);
    assert.equal(model.graph.values.get('x')?.dtype, 'float32');
    assert.deepEqual(model.graph.outputs, ['Identity']);
    assert.deepEqual(model.graph.values.get('Identity')?.shape, ['batch', 2]);
    const byId = new Map(model.graph.nodes.map((n) => [n.id, n]));
    assert.deepEqual(byId.get('dense/MatMul')?.inputs, ['x', 'dense/kernel']);
    assert.deepEqual(byId.get('dense/BiasAdd')?.inputs, ['dense/MatMul', 'dense/bias']);
    assert.deepEqual(byId.get('Identity')?.inputs, ['dense/Relu']);
    const attr = (id: string, name: string) => byId.get(id)?.attributes.find((a) => a.name === name)?.value;
    assert.deepEqual(attr('Identity', 'control_inputs'), { type: 'strings', value: ['dense/BiasAdd'] });
    assert.deepEqual(attr('dense/BiasAdd', 'data_format'), { type: 'string', value: 'NHWC' });
    assert.deepEqual(attr('dense/MatMul', 'T'), { type: 'type', value: 'float32' });
    assert.deepEqual(model.graph.values.get('dense/kernel')?.consumers, ['dense/MatMul']);
    assert.deepEqual(model.graph.initializers.map((t) => [t.name, t.shape]), [['dense/kernel', [3, 2]], ['dense/bias', [2]]]);
    const k = model.graph.initializers[0];
    assert.deepEqual(dequantizeTfjs(await k.data!.read(0, k.data!.byteLength), k), kernel);
    assert.deepEqual(model.producer, { name: 'TensorFlow.js Converter', version: '4.22.0' });
    assert.equal(model.metadata.author, 'test');
    assert.equal(model.metadata.labels, '[1,2]');
  } finally {
    await model.dispose?.();
  }
});

test('graph model without signature: outputs are sink ops; multi-output refs, inline consts and library functions', async () => {
  const d = await dir();
  const t = (type: string) => ({ type });
  const topology = {
    node: [
      { name: 'in', op: 'Placeholder', attr: { dtype: t('DT_INT32'), shape: { shape: { dim: [{ size: '4' }] } } } },
      { name: 'axis', op: 'Const', attr: { dtype: t('DT_INT32'), value: { tensor: { dtype: 'DT_INT32', tensorShape: {}, intVal: [0] } } } },
      { name: 'split', op: 'Split', input: ['axis', 'in'], attr: { T: t('DT_INT32'), num_split: { i: '2' } } },
      { name: 'a', op: 'Neg', input: ['split:0'], attr: { T: t('DT_INT32') } },
      { name: 'b', op: 'Abs', input: ['split:1'], attr: { T: t('DT_INT32') } },
      { name: 'call', op: 'StatefulPartitionedCall', input: ['b'], attr: { f: { func: { name: 'double_it' } } } },
    ],
    library: {
      function: [{
        signature: { name: 'double_it', inputArg: [{ name: 'v', type: 'DT_INT32' }], outputArg: [{ name: 'out', type: 'DT_INT32' }] },
        nodeDef: [{ name: 'add', op: 'AddV2', input: ['v', 'v'], attr: { T: t('DT_INT32') } }],
        ret: { out: 'add:z:0' },
      }],
    },
  };
  const jsonPath = join(d, 'model.json');
  await writeFile(jsonPath, JSON.stringify({ format: 'graph-model', modelTopology: topology, weightsManifest: [] }));
  const model = await tfjsReader.open(jsonPath);
  const byId = new Map(model.graph.nodes.map((n) => [n.id, n]));
  assert.deepEqual(byId.get('split')?.outputs, ['split', 'split:1']);
  assert.deepEqual(byId.get('a')?.inputs, ['split']);
  assert.deepEqual(byId.get('b')?.inputs, ['split:1']);
  assert.equal(model.graph.values.get('split:1')?.producer, 'split');
  assert.deepEqual(model.graph.outputs.sort(), ['a', 'call']);
  // A Const the converter left inline (no manifest weight) stays a node holding its value.
  const axis = byId.get('axis');
  assert.equal(axis?.opType, 'Const');
  const v = axis?.attributes.find((a) => a.name === 'value')?.value;
  assert.equal(v?.type, 'tensor');
  assert.deepEqual(v?.type === 'tensor' ? v.value.values : undefined, [0]);
  assert.deepEqual(byId.get('split')?.attributes.find((a) => a.name === 'num_split')?.value, { type: 'int', value: 2 });
  assert.deepEqual(byId.get('call')?.attributes.find((a) => a.name === 'f')?.value, { type: 'string', value: 'double_it' });
  assert.equal(model.functions.length, 1);
  const f = model.functions[0];
  assert.equal(f.name, 'double_it');
  assert.deepEqual(f.inputs, ['v']);
  assert.deepEqual(f.outputs, ['add:z:0']);
  assert.equal(f.values.get('add:z:0')?.producer, 'add');
  assert.deepEqual(f.values.get('v')?.consumers, ['add', 'add']);
});
