// `model-inspector run` as users run it (bundled CLI in a child process) and the engine's `run` over the real fork.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, buildEngine, removeBuild } from '../support/build-engine';
import { EngineClient } from '../../src/engine/client';
import { vulkanLoaderFound } from '../../src/runtime/gpu-libraries';
import { parseTensorPb } from '../../src/formats/arrays/tensor-pb';
import { parseNpy } from '../../src/formats/arrays/npy';
import type { RunSummary } from '../../src/protocol/run';
import { saveLayersModel, sequentialCnn, tfReady } from '../support/tfjs-fixtures';

const data = '/usr/share/libonnx-testdata/data';
const conv = `${data}/pytorch-converted/test_Conv2d`;
let cli: string;
let engine: string;
let tmp: string;

before(async () => {
  [cli, engine] = await Promise.all([buildCli(), buildEngine()]);
  tmp = mkdtempSync(join(tmpdir(), 'mi-run-cli-'));
});
after(() => {
  removeBuild(cli);
  removeBuild(engine);
  rmSync(tmp, { recursive: true, force: true });
});

const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', timeout: 120_000 });

test('run --json: the public contract, values equal the ONNX test data, outputs saved as .npy', () => {
  const r = run(`${conv}/model.onnx`, '--input', `${conv}/test_data_set_0/input_0.pb`, '--runs', '3', '--save-outputs', join(tmp, 'out'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON line on stdout');
  const s = JSON.parse(lines[0]) as RunSummary;
  assert.equal(typeof s.provider, 'string');
  assert.ok(Array.isArray(s.skipped));
  assert.deepEqual(Object.keys(s.latencyMs).slice(0, 2), ['p50', 'p95']);
  assert.equal(s.runs, 3);
  const want = parseTensorPb('o', readFileSync(`${conv}/test_data_set_0/output_0.pb`)).array;
  const w = want.data as Float32Array;
  const o = s.outputs[0];
  for (const k of ['name', 'dtype', 'shape', 'mean', 'std', 'min', 'max', 'top']) assert.ok(k in o, k);
  assert.deepEqual(o.shape, want.shape);
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  assert.ok(Math.abs(o.mean - mean) < 1e-4, `${o.mean} vs ${mean}`);
  assert.ok(Math.abs(o.max - Math.max(...w)) < 1e-4 && Math.abs(o.min - Math.min(...w)) < 1e-4);
  const saved = readdirSync(join(tmp, 'out'));
  assert.deepEqual(saved, [`${o.name}.npy`]);
  const back = parseNpy('saved', readFileSync(join(tmp, 'out', saved[0])));
  assert.deepEqual(back.shape, want.shape);
  (back.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - w[i]) <= 1e-7 + 1e-3 * Math.abs(w[i]), `[${i}]`));
});

test('run: text output, --dim, --ep, and errors as one JSON line with exit 1', () => {
  const t = run(`${data}/node/test_softmax_example/model.onnx`, '--ep', 'cpu', '--runs', '2');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /^provider: cpu/);
  assert.match(t.stdout, /latency over 2 runs: p50/);
  const bad = run(join(tmp, 'missing.onnx'), '--json');
  assert.equal(bad.status, 1);
  assert.match(JSON.parse(bad.stdout).error, /^missing\.onnx: /);
  const wrongInput = run(`${conv}/model.onnx`, '--input', `nope=${conv}/test_data_set_0/input_0.pb`, '--json');
  assert.equal(wrongInput.status, 1);
  assert.match(JSON.parse(wrongInput.stdout).error, /model\.onnx: has no input named "nope"/);
  assert.doesNotMatch(bad.stdout + bad.stderr + wrongInput.stderr, /\n\s+at .*\.(js|ts):\d+/);
});

test('run with the default provider order on a machine without Vulkan: webgpu is skipped with its reason, stderr stays empty', () => {
  // Without this check Dawn printed "Couldn't load Vulkan" to stderr on every run that tried webgpu first.
  if (vulkanLoaderFound()) return; // a machine with a Vulkan loader really tries webgpu
  const r = run(`${data}/node/test_softmax_example/model.onnx`, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = JSON.parse(r.stdout) as { provider: string; skipped: { provider: string; reason: string }[] };
  assert.equal(out.provider, 'cpu');
  assert.match(out.skipped.find((s) => s.provider === 'webgpu')?.reason ?? '', /no Vulkan loader \(libvulkan\.so\.1\)/);
});

test('vulkanLoaderFound looks in LD_LIBRARY_PATH and the folders ld.so.conf.d names', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const base = join(tmp, 'vk');
  const [libs, conf, other] = [join(base, 'libs'), join(base, 'conf'), join(base, 'other')];
  for (const d of [libs, conf, other]) mkdirSync(d, { recursive: true });
  writeFileSync(join(libs, 'libvulkan.so.1'), '');
  assert.equal(vulkanLoaderFound({ LD_LIBRARY_PATH: other }, conf, []), false);
  assert.equal(vulkanLoaderFound({ LD_LIBRARY_PATH: `${other}:${libs}` }, conf, []), true);
  writeFileSync(join(conf, 'vk.conf'), `# a comment\n${libs}\n`);
  assert.equal(vulkanLoaderFound({ LD_LIBRARY_PATH: other }, conf, []), true);
  assert.equal(vulkanLoaderFound({}, other, [libs]), true);
});

test('run on a TF.js model prints clean JSON (tfjs console advice stays off stdout)', async () => {
  await tfReady();
  const dir = join(tmp, 'tfjs');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const { jsonPath } = await saveLayersModel(sequentialCnn(), dir);
  const r = run(jsonPath, '--json', '--runs', '2');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as RunSummary;
  assert.match(s.provider, /^tfjs-(node|wasm|cpu)$/);
  assert.deepEqual(s.outputs[0].shape, [1, 3]);
  assert.ok(Math.abs(s.outputs[0].top.reduce((a, t) => a + t.p, 0) - 1) < 1e-5);
});

test('engine run: summary over RPC with progress, cancellation, close releases', async () => {
  const c = new EngineClient({ enginePath: engine });
  try {
    const { modelId } = await c.call('open', { path: `${conv}/model.onnx` });
    const progress: number[] = [];
    const s = await c.call('run', { modelId, runs: 20, providers: ['cpu'] }, { onProgress: (p) => progress.push(p.fraction ?? -1) });
    assert.equal(s.provider, 'cpu');
    assert.equal(s.runs, 20);
    assert.deepEqual(s.outputs[0].shape, [2, 4, 5, 4]);
    assert.ok(s.outputs[0].first.length <= 16);
    assert.ok(progress.length >= 1 && progress.length < 22 && progress.at(-1) === 1, JSON.stringify(progress));
    const again = await c.call('run', { modelId, runs: 1, providers: ['cpu'] });
    assert.equal(again.cached, true);
    const ac = new AbortController();
    // Cancelled at its first progress report: 'cancelled', not the 1000 runs' result.
    const slow = c.call('run', { modelId, runs: 1000, warmup: 0, providers: ['cpu'] }, { signal: ac.signal, onProgress: (p) => (p.fraction ?? 0) > 0 && ac.abort() });
    await assert.rejects(slow, (e: Error & { code?: string }) => e.code === 'cancelled');
    await c.call('close', { modelId });
    const reopened = await c.call('open', { path: `${conv}/model.onnx` });
    const fresh = await c.call('run', { modelId: reopened.modelId, runs: 1, providers: ['cpu'] });
    assert.equal(fresh.cached, false, 'closing the model released its session');
  } finally {
    c.dispose();
  }
});
