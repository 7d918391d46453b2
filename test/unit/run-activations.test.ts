// Intermediate activations on real onnxruntime and real tfjs: stats of a hidden value against a direct computation,
// the all-node overlay, errors, cancellation, and a TF.js layer against a tfjs sub-model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { saveLayersModel, sequentialCnn, tempDir, tf, tfReady } from '../support/tfjs-fixtures';
import { openModel } from '../../src/formats/registry';
import { computeActivationOverlay, computeActivations, releaseActivationSessions } from '../../src/runtime/activations';
import { runModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';
import { ModelError } from '../../src/model/errors';
import type { NdArray } from '../../src/formats/arrays/ndarray';

const dir = mkdtempSync(join(tmpdir(), 'mi-act-'));
test.after(async () => {
  await sessions.clear();
  rmSync(dir, { recursive: true, force: true });
});

const W = [1, -2, 0.5, 3, -1, 2, 0, 1, -0.5, 2, 1, -3]; // [3, 4]
const X = [0.5, -1, 2, 1, 0, -0.5]; // [2, 3]

/** x[2,3] · W[3,4] → h → Relu → r → Sigmoid → y; a Shape node gives an int64 output the overlay must skip. */
function mlp(name: string, external = false): string {
  const b = new OnnxBuilder()
    .input('x', 'float32', [2, 3])
    .initializer('W', 'float32', [3, 4], W, external ? { storage: 'external' } : {})
    .node('MatMul', ['x', 'W'], ['h'], {}, { name: 'mm' })
    .node('Relu', ['h'], ['r'])
    .node('Sigmoid', ['r'], ['y'])
    .node('Shape', ['y'], ['s'])
    .output('y', 'float32', [2, 4])
    .output('s', 'int64', [2]);
  return writeModel(join(dir, name), 'model.onnx', b);
}

const feeds = (): Map<string, NdArray> => new Map([['x', { dtype: 'float32', shape: [2, 3], data: Float32Array.from(X) }]]);

/** h = x·W by hand, in float32 like the runtime. */
function handH(): number[] {
  const h: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) h.push(Math.fround([0, 1, 2].reduce((s, k) => s + X[i * 3 + k] * W[k * 4 + j], 0)));
  return h;
}

const close = (a: number | null, b: number, tol = 1e-5) => assert.ok(a !== null && Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);

test('ONNX: stats of an intermediate MatMul output equal x·W computed by hand; Relu output too', async () => {
  const path = mlp('stats');
  const model = await openModel(path);
  const res = await computeActivations(path, { values: ['h', 'r'], bins: 4, providers: ['cpu'] }, { model, feeds: feeds() });
  assert.equal(res.provider, 'cpu');
  const [h, r] = res.activations;
  const expected = handH();
  const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
  const std = Math.sqrt(expected.reduce((a, b) => a + (b - mean) ** 2, 0) / expected.length);
  assert.equal(h.name, 'h');
  assert.equal(h.nodeId, model.graph.values.get('h')!.producer);
  assert.deepEqual(h.shape, [2, 4]);
  assert.equal(h.count, 8);
  close(h.mean, mean);
  close(h.std, std);
  close(h.min, Math.min(...expected));
  close(h.max, Math.max(...expected));
  close(h.meanAbs, expected.reduce((a, b) => a + Math.abs(b), 0) / 8);
  assert.equal(h.nan + h.inf, 0);
  // Histogram on [min, max] in 4 bins: counts by hand.
  assert.equal(h.histogram.edges.length, 5);
  const lo = Math.min(...expected), hi = Math.max(...expected);
  const byHand = [0, 0, 0, 0];
  for (const v of expected) byHand[Math.min(3, Math.floor(((v - lo) / (hi - lo)) * 4))]++;
  assert.deepEqual(h.histogram.counts, byHand);
  const relu = expected.map((v) => Math.max(0, v));
  assert.equal(r.zeros, relu.filter((v) => v === 0).length);
  close(r.max, Math.max(...relu));
  assert.equal(r.min, 0);
});

test('ONNX: the same value read through a second model (y := h as graph output) gives the same stats; external data loads from bytes', async () => {
  const path = mlp('ext', true);
  const model = await openModel(path);
  const res = await computeActivations(path, { values: ['h'], providers: ['cpu'] }, { model, feeds: feeds() });
  // A model whose declared output is h: the normal run path, no re-encoding.
  const b = new OnnxBuilder().input('x', 'float32', [2, 3]).initializer('W', 'float32', [3, 4], W)
    .node('MatMul', ['x', 'W'], ['h']).output('h', 'float32', [2, 4]);
  const direct = await runModel(writeModel(join(dir, 'direct'), 'model.onnx', b), { feeds: feeds(), runs: 1, providers: ['cpu'] });
  const o = direct.summary.outputs[0];
  close(res.activations[0].mean, o.mean);
  close(res.activations[0].std, o.std);
  close(res.activations[0].min, o.min);
  close(res.activations[0].max, o.max);
  await releaseActivationSessions(model);
});

test('ONNX: the all-node overlay covers every node with a float output, and skips the int64 Shape node', async () => {
  const path = mlp('overlay');
  const model = await openModel(path);
  const res = await computeActivationOverlay(path, { providers: ['cpu'], measure: 'meanAbs' }, { model, feeds: feeds() });
  const floatNodes = model.graph.nodes.filter((n) => n.opType !== 'Shape').map((n) => n.id);
  assert.deepEqual(Object.keys(res.overlay.values).sort(), floatNodes.sort());
  assert.deepEqual(res.missing, []);
  const mm = model.graph.nodes.find((n) => n.name === 'mm')!.id;
  close(res.overlay.values[mm], handH().reduce((a, b) => a + Math.abs(b), 0) / 8);
  const std = await computeActivationOverlay(path, { providers: ['cpu'], measure: 'std' }, { model, feeds: feeds() });
  assert.equal(std.overlay.title, 'activation std');
  assert.notEqual(std.overlay.values[mm], res.overlay.values[mm]);
});

test('ONNX: unknown values and weights are refused with the file name; an aborted signal cancels', async () => {
  const path = mlp('errors');
  const model = await openModel(path);
  await assert.rejects(computeActivations(path, { values: ['nope'] }, { model }), (e) => e instanceof ModelError && /^model\.onnx: has no value named "nope"$/.test(e.message));
  await assert.rejects(computeActivations(path, { values: ['W'] }, { model }), (e) => e instanceof ModelError && /W" is a weight/.test(e.message));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(computeActivations(path, { values: ['h'] }, { model, signal: ac.signal }), { name: 'AbortError' });
  // A graph input is answered from the feeds.
  const res = await computeActivations(path, { values: ['x'] }, { model, feeds: feeds() });
  close(res.activations[0].mean, X.reduce((a, b) => a + b, 0) / 6);
});

test('TF.js Layers: activation of an intermediate layer equals a tfjs sub-model output', async () => {
  await tfReady();
  const { dir: tdir, cleanup } = await tempDir('mi-act-tfjs-');
  try {
    const m = sequentialCnn();
    const { jsonPath } = await saveLayersModel(m, tdir);
    const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i * 0.3));
    await tf.setBackend('cpu');
    const sub = tf.model({ inputs: m.inputs, outputs: m.getLayer('pool').output as tf.SymbolicTensor });
    const ref = Array.from((sub.predict(tf.tensor(x, [2, 8, 8, 1])) as tf.Tensor).dataSync());
    const model = await openModel(jsonPath);
    const { session } = await sessions.get(model, { providers: ['cpu'] });
    const res = await computeActivations(jsonPath, { values: ['pool'], providers: ['cpu'] }, { model, feeds: new Map([[session.inputs[0].name, { dtype: 'float32', shape: [2, 8, 8, 1], data: x }]]) });
    const a = res.activations[0];
    assert.deepEqual(a.shape, [2, 3, 3, 4]);
    const mean = ref.reduce((s, v) => s + v, 0) / ref.length;
    close(a.mean, mean, 1e-4);
    close(a.max, Math.max(...ref), 1e-4);
    close(a.min, Math.min(...ref), 1e-4);
    assert.equal(a.histogram.counts.reduce((s, c) => s + c, 0), ref.length);
    // Overlay over every layer: each node gets a value.
    const ov = await computeActivationOverlay(jsonPath, { providers: ['cpu'] }, { model });
    assert.deepEqual(Object.keys(ov.overlay.values).sort(), model.graph.nodes.map((n) => n.id).sort());
  } finally {
    await cleanup();
  }
});
