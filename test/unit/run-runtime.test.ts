// The runtime layer on real onnxruntime: provider order and skip reasons, placement, the session cache, synthesized
// inputs, top-k with labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { runModel, releaseModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';
import { openModel } from '../../src/formats/registry';
import { encodeNpy } from '../../src/formats/arrays/npy';
import { ModelError } from '../../src/model/errors';
import { defaultOnnxProviders } from '../../src/runtime/backends/onnxruntime/providers';
import { tfjsOrder } from '../../src/runtime/backends/tfjs/backend';

const dir = mkdtempSync(join(tmpdir(), 'mi-run-'));
test.after(async () => {
  await sessions.clear();
  rmSync(dir, { recursive: true, force: true });
});

/** y = x · W + b over a symbolic batch, then Softmax: a tiny classifier with known logits. */
function classifier(name: string): string {
  const W = [1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1]; // [4, 3]
  const b = new OnnxBuilder()
    .input('x', 'float32', ['batch', 4])
    .initializer('W', 'float32', [4, 3], W)
    .initializer('b', 'float32', [3], [0, 0, 0])
    .node('MatMul', ['x', 'W'], ['xw'])
    .node('Add', ['xw', 'b'], ['logits'])
    .output('logits', 'float32', ['batch', 3]);
  return writeModel(join(dir, name), 'model.onnx', b);
}

test('default order skips unavailable GPU providers with a reason and runs on what loads', async () => {
  const path = classifier('order');
  const { summary } = await runModel(path, { runs: 2 });
  const listed = listSupportedBackends().map((b) => b.name);
  // Every provider before the one that ran is listed as skipped, each with a non-empty reason.
  const order = ['webgpu', 'cuda', 'cpu'].filter((p) => process.platform === 'linux' || p !== 'cuda');
  assert.deepEqual(summary.skipped.map((s) => s.provider), order.slice(0, order.indexOf(summary.provider)));
  for (const s of summary.skipped) assert.ok(s.reason.length > 10 && !s.reason.includes('\n'), s.reason);
  if (listed.includes('cuda') && summary.provider !== 'cuda') {
    assert.match(summary.skipped.find((s) => s.provider === 'cuda')!.reason, /not installed|failed to initialise/);
  }
});

test('an explicit list: unknown providers are skipped as not in this build; cpu placement is recorded', async () => {
  const path = classifier('explicit');
  const { summary } = await runModel(path, { providers: ['coreml', 'cpu'], placement: true, runs: 1 });
  if (process.platform !== 'darwin') {
    assert.equal(summary.provider, 'cpu');
    assert.match(summary.skipped[0].reason, /not available in this onnxruntime-node build/);
  }
  // Kernels after ORT's graph optimisation (MatMul + Add fuse into one Gemm), all on CPU.
  assert.deepEqual(summary.placement, { CPUExecutionProvider: 1 });
});

test('sessions belong to the opened model: cached across runs, a new open (revision) gets its own, released on close', async () => {
  const path = classifier('cache');
  const model = await openModel(path);
  const a = await runModel(model, { providers: ['cpu'], runs: 1 });
  const b = await runModel(model, { providers: ['cpu'], runs: 1 });
  assert.equal(a.summary.cached, false);
  assert.equal(b.summary.cached, true);
  assert.equal(a.session, b.session);
  utimesSync(path, new Date(), new Date(Date.now() + 5000)); // a new revision, opened again
  const reopened = await openModel(path);
  const c = await runModel(reopened, { providers: ['cpu'], runs: 1 });
  assert.equal(c.summary.cached, false);
  assert.notEqual(c.session, a.session);
  const before = sessions.size;
  await releaseModel(model);
  assert.equal(sessions.size, before - 1);
  await releaseModel(reopened);
  // A path is opened for the one call and its session released after it.
  const sized = sessions.size;
  await runModel(path, { providers: ['cpu'], runs: 1 });
  assert.equal(sessions.size, sized);
  // The LRU never holds more than its capacity.
  const opened = [];
  for (let i = 0; i < sessions.capacity + 2; i++) {
    opened.push(await openModel(classifier(`lru${i}`)));
    await runModel(opened[i], { providers: ['cpu'], runs: 1 });
  }
  assert.equal(sessions.size, sessions.capacity);
  await Promise.all(opened.map((m) => m.dispose?.()));
  await Promise.all([model, reopened].map((m) => m.dispose?.()));
});

test('synthesized inputs: seeded, symbolic dims from --dim or defaults, reported', async () => {
  const path = classifier('synth');
  const one = await runModel(path, { providers: ['cpu'], runs: 1, seed: 7 });
  assert.deepEqual(one.summary.dims, { batch: 1 });
  assert.deepEqual(one.summary.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 4], source: 'normal(seed 7)', synthesized: true }]);
  const again = await runModel(path, { providers: ['cpu'], runs: 1, seed: 7 });
  assert.deepEqual(again.summary.outputs[0].first, one.summary.outputs[0].first);
  const other = await runModel(path, { providers: ['cpu'], runs: 1, seed: 8 });
  assert.notDeepEqual(other.summary.outputs[0].first, one.summary.outputs[0].first);
  const five = await runModel(path, { providers: ['cpu'], runs: 3, dims: { batch: 5 }, synth: 'ones' });
  assert.deepEqual(five.summary.outputs[0].shape, [5, 3]);
  assert.deepEqual(five.summary.outputs[0].first.slice(0, 3), [2, 3, 4]); // ones · W
  assert.equal(five.summary.runs, 3);
  assert.ok(five.summary.latencyMs.p50 > 0 && five.summary.latencyMs.p95 >= five.summary.latencyMs.p50);
});

test('top-k applies softmax to logits and takes labels from labels.txt next to the model', async () => {
  const path = classifier('labels');
  writeFileSync(join(dir, 'labels', 'labels.txt'), 'cat\ndog\nbird\n');
  const { summary } = await runModel(path, { providers: ['cpu'], runs: 1, synth: 'ones', topK: 2 });
  const out = summary.outputs[0];
  assert.equal(out.softmax, true);
  const z = Math.exp(2) + Math.exp(3) + Math.exp(4);
  assert.deepEqual(out.top.map((t) => [t.index, t.label]), [[2, 'bird'], [1, 'dog']]);
  assert.ok(Math.abs(out.top[0].p - Math.exp(4) / z) < 1e-6);
  assert.ok(Math.abs(out.mean - 3) < 1e-6 && Math.abs(out.min - 2) < 1e-6 && Math.abs(out.max - 4) < 1e-6);
});

test('token ids stay below the vocab size read from the embedding Gather', async () => {
  const vocab = 37;
  const b = new OnnxBuilder()
    .input('ids', 'int64', ['batch', 'sequence'])
    .initializer('emb', 'float32', [vocab, 2], Array.from({ length: vocab * 2 }, (_, i) => i))
    .node('Gather', ['emb', 'ids'], ['vec'])
    .output('vec', 'float32', ['batch', 'sequence', 2]);
  const path = writeModel(join(dir, 'tokens'), 'model.onnx', b);
  const model = await openModel(path);
  const { summary } = await runModel(model, { providers: ['cpu'], runs: 1, dims: { sequence: 50 } });
  await model.dispose?.();
  assert.deepEqual(summary.dims, { batch: 1, sequence: 50 });
  assert.equal(summary.inputs[0].source, `range(<${vocab})`);
  // Gathered rows are 2*id and 2*id+1: the max is the last row, so every id was in range (ORT rejects others).
  assert.equal(summary.outputs[0].max, 2 * (vocab - 1) + 1);
});

test('array inputs map by name or order and are converted to the input dtype', async () => {
  const path = classifier('files');
  const npy = join(dir, 'files', 'x.npy');
  writeFileSync(npy, encodeNpy({ dtype: 'float64', shape: [2, 4], data: Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0]) }));
  const { summary } = await runModel(path, { providers: ['cpu'], runs: 1, inputs: [{ file: npy }] });
  assert.deepEqual(summary.inputs[0], { name: 'x', dtype: 'float32', shape: [2, 4], source: `file:${npy}` });
  assert.deepEqual(summary.outputs[0].first, [1, 0, 0, 0, 2, 0]);
  await assert.rejects(runModel(path, { providers: ['cpu'], inputs: [{ name: 'nope', file: npy }] }), (e: unknown) => e instanceof ModelError && /has no input named "nope"/.test(e.message));
  const wrong = join(dir, 'files', 'wrong.npy');
  writeFileSync(wrong, encodeNpy({ dtype: 'float32', shape: [2, 5], data: new Float32Array(10) }));
  // Refused before the runtime sees it, in words naming the file and both shapes.
  await assert.rejects(runModel(path, { providers: ['cpu'], inputs: [{ file: wrong }] }), (e: unknown) => e instanceof ModelError && /^wrong\.npy: has shape \[2, 5\], but model input "x" wants \[batch, 4\]$/.test(e.message));
});

test('cancellation stops a long run loop', async () => {
  const path = classifier('cancel');
  const ac = new AbortController();
  let seen = 0;
  const p = runModel(path, { providers: ['cpu'], runs: 100_000, signal: ac.signal, onProgress: () => ++seen === 50 && ac.abort() });
  await assert.rejects(p, /cancelled/);
  assert.ok(seen < 1000);
});

test('settings from the host: provider order and TF.js backend', () => {
  // No device list from the settings means "this platform's order"; a list is taken literally.
  assert.deepEqual(defaultOnnxProviders('linux', undefined), ['webgpu', 'cuda', 'cpu']);
  assert.deepEqual(defaultOnnxProviders('win32', undefined), ['webgpu', 'cuda', 'dml', 'cpu']);
  assert.deepEqual(defaultOnnxProviders('darwin', undefined), ['coreml', 'webgpu', 'cpu']);
  assert.deepEqual(defaultOnnxProviders('linux', ['cpu']), ['cpu']);
  assert.deepEqual(tfjsOrder(undefined, undefined).order, ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu']);
  assert.deepEqual(tfjsOrder(undefined, ['tfjs-wasm', 'tfjs-cpu']).order, ['tfjs-wasm', 'tfjs-cpu']);
  const mixed = tfjsOrder(['webgpu', 'cpu'], undefined);
  assert.deepEqual(mixed.order, ['tfjs-cpu']);
  assert.match(mixed.skipped[0].reason, /onnxruntime execution provider/);
});
