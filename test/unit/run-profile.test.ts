// Per-node profiling on real onnxruntime (its Chrome-trace profiler) and real tfjs (tf.profile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { saveLayersModel, sequentialCnn, tempDir, tfReady } from '../support/tfjs-fixtures';
import { openModel } from '../../src/formats/registry';
import { profileModel } from '../../src/runtime/profiling';
import { sessions } from '../../src/runtime/load';

const dir = mkdtempSync(join(tmpdir(), 'mi-prof-'));
test.after(async () => {
  await sessions.clear();
  rmSync(dir, { recursive: true, force: true });
});

const rnd = (n: number, s = 1) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + s) * 0.3);

/** Conv → Relu → MaxPool → Conv(named) → Relu(named) → GlobalAveragePool → Flatten → MatMul → Add; mostly unnamed. */
function cnn(): string {
  const b = new OnnxBuilder()
    .input('x', 'float32', [1, 3, 32, 32])
    .initializer('W1', 'float32', [16, 3, 3, 3], rnd(432)).initializer('B1', 'float32', [16], rnd(16, 2))
    .node('Conv', ['x', 'W1', 'B1'], ['c1'], { pads: [1, 1, 1, 1] })
    .node('Relu', ['c1'], ['r1'])
    .node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] })
    .initializer('W2', 'float32', [16, 16, 3, 3], rnd(2304, 3))
    .node('Conv', ['p1', 'W2'], ['c2'], { pads: [1, 1, 1, 1] }, { name: 'block2/conv' })
    .node('Relu', ['c2'], ['r2'], {}, { name: 'block2/relu' })
    .node('GlobalAveragePool', ['r2'], ['g'])
    .node('Flatten', ['g'], ['f'])
    .initializer('Wf', 'float32', [16, 10], rnd(160, 4)).initializer('bf', 'float32', [10], rnd(10, 5))
    .node('MatMul', ['f', 'Wf'], ['mm'])
    .node('Add', ['mm', 'bf'], ['y'])
    .output('y', 'float32', [1, 10]);
  return writeModel(dir, 'cnn.onnx', b);
}

const profileDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('mi-ort-profile-')).length;

test('ONNX profile: a row per executed node with ms > 0, shares summing to 1, ids of our IR; the trace is deleted', async () => {
  const path = cnn();
  const model = await openModel(path);
  const before = profileDirs();
  const res = await profileModel(path, { runs: 3, providers: ['cpu'] }, { model });
  assert.equal(res.provider, 'cpu');
  assert.equal(res.optimized, false);
  assert.equal(res.runs, 3);
  // Every node of the file ran as itself (optimisations off) and maps back: by name or by ORT's "<op>_<index>".
  assert.deepEqual(res.rows.map((r) => r.nodeId).sort(), model.graph.nodes.map((n) => n.id).sort());
  for (const r of res.rows) {
    const node = model.graph.nodes.find((n) => n.id === r.nodeId)!;
    assert.equal(r.opType, node.opType);
    assert.equal(r.mappedBy, node.name ? 'name' : 'index');
    assert.ok(r.ms > 0, `${r.name}: ${r.ms}`);
    assert.equal(r.provider, 'CPUExecutionProvider');
  }
  assert.ok(Math.abs(res.rows.reduce((s, r) => s + r.share, 0) - 1) < 1e-9);
  for (let i = 1; i < res.rows.length; i++) assert.ok(res.rows[i - 1].ms >= res.rows[i].ms, 'sorted by time');
  assert.ok(res.runMs >= res.totalMs * 0.5, `run ${res.runMs} ms vs kernels ${res.totalMs} ms`);
  assert.deepEqual(Object.keys(res.overlay.values).sort(), model.graph.nodes.map((n) => n.id).sort());
  assert.equal(profileDirs(), before);
});

test('ONNX profile of the optimised graph: fused kernels map to the node that writes their output, the rest is said', async () => {
  const path = cnn();
  const model = await openModel(path);
  const res = await profileModel(path, { runs: 2, providers: ['cpu'], optimized: true }, { model });
  assert.equal(res.optimized, true);
  assert.ok(res.rows.length > 0 && res.rows.length < model.graph.nodes.length + 4);
  for (const r of res.rows) {
    if (r.nodeId) assert.ok(model.graph.nodes.some((n) => n.id === r.nodeId), r.nodeId);
    else assert.ok(res.notes.some((n) => /match no node/.test(n)), r.name);
  }
  // Conv+Relu fuse into one kernel named after the Relu's output: it lands on a node of the file.
  assert.ok(res.rows.some((r) => r.mappedBy === 'fused-output' || r.mappedBy === 'name'));
  assert.ok(Math.abs(res.rows.reduce((s, r) => s + r.share, 0) - 1) < 1e-9);
});

test('ONNX profile is cancelled by the signal between runs and still removes its trace folder', async () => {
  const path = cnn();
  const model = await openModel(path);
  const before = profileDirs();
  const ac = new AbortController();
  await assert.rejects(
    profileModel(path, { runs: 50, providers: ['cpu'] }, { model, signal: ac.signal, onProgress: (f) => f > 0 && ac.abort() }),
    { name: 'AbortError' },
  );
  assert.equal(profileDirs(), before);
});

test('TF.js profile: tf.profile kernels as a sorted table with shares, unmapped for Layers models (said in notes)', async () => {
  await tfReady();
  const { dir: tdir, cleanup } = await tempDir('mi-prof-tfjs-');
  try {
    const { jsonPath } = await saveLayersModel(sequentialCnn(), tdir);
    const model = await openModel(jsonPath);
    const res = await profileModel(jsonPath, { runs: 2, providers: ['cpu'] }, { model });
    assert.equal(res.provider, 'tfjs-cpu');
    assert.ok(res.rows.some((r) => /Conv2D/.test(r.name)), res.rows.map((r) => r.name).join(','));
    assert.ok(Math.abs(res.rows.reduce((s, r) => s + r.share, 0) - 1) < 1e-9);
    assert.match(res.notes.join(' '), /not mapped to layers/);
  } finally {
    await cleanup();
  }
});
