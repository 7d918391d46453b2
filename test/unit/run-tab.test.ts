// The Run tab in headless Chromium (real webview bundle, real CSP) with the host played by the test through the host's
// own WebviewChannel, whose `run` handler calls the real runtime layer on a real conformance model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import type { Handlers } from '../../src/protocol/rpc';
import type { WebviewMethods } from '../../src/protocol/webview';
import { runPrefsHandlers } from '../../src/host/run-prefs';
import { hostStateSchema, StateStore, type HostState, type MementoLike } from '../../src/host/state-store';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import type { RunParams } from '../../src/protocol/run';
import { runModel } from '../../src/runtime/run-model';
import { sessions } from '../../src/runtime/load';
import { startHarness, type Harness, type OpenedView } from '../browser/webview-harness';

const model = '/usr/share/libonnx-testdata/data/node/test_softmax_example/model.onnx';
let harness: Harness;

before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
  await sessions.clear();
});

async function openRunTab(trusted: boolean, calls: RunParams[], path = model, extra: Partial<Handlers<WebviewMethods>> = {}): Promise<{ v: OpenedView; setTrust(t: boolean): void }> {
  const m = await openModel(path);
  const summary = summarize(m, statSync(path).size);
  let host: Parameters<Parameters<Harness['open']>[0]['onReady']>[0] | undefined;
  const v = await harness.open({
    view: 'panel',
    theme: 'dark',
    handlers: {
      getOverview: () => summary,
      run: async (params, ctx) => {
        calls.push(params);
        const r = await runModel(path, { ...params, signal: ctx.signal, onProgress: (fraction, message) => ctx.progress({ fraction, message }) });
        return r.summary;
      },
      ...extra,
    },
    onReady: (rpc) => {
      host = rpc;
      rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted });
    },
  });
  // (vscode-tab-header replaces its id; data-tab is ours.)
  await v.page.locator('vscode-tab-header[data-tab="run"]').click({ timeout: 10_000 });
  await v.page.locator('#mi-run-button').waitFor({ timeout: 60_000 });
  return { v, setTrust: (t) => host!.emit('trust', { trusted: t }) };
}

test('trusted: choose inputs, run, and see provider, skipped reasons, outputs, top-k and latency', async () => {
  const calls: RunParams[] = [];
  const { v } = await openRunTab(true, calls);
  try {
    assert.equal(await v.page.locator('#mi-run-untrusted').isHidden(), true);
    await v.page.locator('select.mi-run-source[data-input="x"]').selectOption('ones');
    await v.page.locator('#mi-run-runs').fill('4');
    await v.page.locator('#mi-run-providers').fill('coreml, cpu');
    await v.page.locator('#mi-run-button').click();
    await v.page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
    assert.deepEqual(calls[0].inputs, [{ name: 'x', synth: 'ones' }]);
    assert.equal(calls[0].runs, 4);
    assert.deepEqual(calls[0].providers, ['coreml', 'cpu']);
    assert.equal(await v.page.locator('#mi-run-provider').innerText(), 'cpu');
    assert.match(await v.page.locator('#mi-run-skipped li[data-provider="coreml"]').innerText(), /not available in this onnxruntime-node build/);
    // Softmax of [1, 1, 1] along each row: every value 1/3, top-k says 33.3%.
    const row = v.page.locator('#mi-run-outputs tr[data-name="y"] td');
    assert.equal(await row.nth(3).innerText(), (1 / 3).toFixed(4));
    assert.match(await v.page.locator('.mi-run-top[data-output="y"]').innerText(), /#0\s+33\.3%/);
    assert.match(await v.page.locator('#mi-run-latency').innerText(), /p50 [\d.]+ ms · p95 [\d.]+ ms over 4 runs/);
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});

test('untrusted: running is disabled with the reason; granting trust enables it', async () => {
  const calls: RunParams[] = [];
  const { v, setTrust } = await openRunTab(false, calls);
  try {
    assert.match(await v.page.locator('#mi-run-untrusted').innerText(), /disabled in Restricted Mode/);
    assert.equal(await v.page.locator('#mi-run-button').getAttribute('disabled'), '');
    await v.page.locator('#mi-run-button').click({ force: true });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(calls.length, 0, 'no run request while untrusted');
    setTrust(true);
    await v.page.waitForFunction(() => !document.querySelector('#mi-run-button')?.hasAttribute('disabled'), undefined, { timeout: 5000 });
    assert.equal(await v.page.locator('#mi-run-untrusted').isHidden(), true);
    await v.page.locator('#mi-run-button').click();
    await v.page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
    assert.equal(calls.length, 1);
  } finally {
    await v.close();
  }
});

test('a failing run shows its one-line error and the tab stays usable', async () => {
  const calls: RunParams[] = [];
  const { v } = await openRunTab(true, calls);
  try {
    await v.page.locator('select.mi-run-source[data-input="x"]').selectOption('file');
    await v.page.locator('input.mi-run-file[data-input="x"]').fill('/nonexistent/x.npy');
    await v.page.locator('#mi-run-button').click();
    await v.page.locator('#mi-run-error:not([hidden])').waitFor({ timeout: 60_000 });
    assert.match(await v.page.locator('#mi-run-error').innerText(), /x\.npy: cannot be read \(ENOENT\)/);
    assert.equal(await v.page.locator('#mi-run-button').getAttribute('disabled'), null);
  } finally {
    await v.close();
  }
});

test('image source sends the path with its scaling and channel order', async () => {
  const calls: RunParams[] = [];
  const { v } = await openRunTab(true, calls);
  try {
    await v.page.locator('select.mi-run-source[data-input="x"]').selectOption('image');
    assert.equal(await v.page.locator('select.mi-run-normalize[data-input="x"]').isVisible(), true);
    await v.page.locator('input.mi-run-file[data-input="x"]').fill('/tmp/cat.png');
    await v.page.locator('select.mi-run-normalize[data-input="x"]').selectOption('imagenet');
    await v.page.locator('select.mi-run-order[data-input="x"]').selectOption('bgr');
    await v.page.locator('#mi-run-button').click();
    await v.page.locator('#mi-run-error:not([hidden])').waitFor({ timeout: 60_000 });
    assert.deepEqual(calls[0].inputs, [{ name: 'x', file: '/tmp/cat.png', image: { normalize: 'imagenet', order: 'bgr' } }]);
    // This model's input is [1, 3]: not an image, and the runtime says so.
    assert.match(await v.page.locator('#mi-run-error').innerText(), /cat\.png: cannot feed input "x": an image needs a rank-3 or rank-4 input/);
  } finally {
    await v.close();
  }
});

/** Softmax over x: float32 [batch, 3], with a symbolic batch dimension. */
function symbolicModel(): Uint8Array {
  const io = (name: string): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'sym', node: [{ opType: 'Softmax', input: ['x'], output: ['y'], name: 'sm' }], input: [io('x')], output: [io('y')] },
  }).finish();
}

test('symbolic dims: pre-filled with the default (batch 1), remembered per model after a run, pre-filled next time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-runprefs-'));
  const path = join(dir, 'sym.onnx');
  writeFileSync(path, symbolicModel());
  // The host's real prefs handlers over its real state store (globalState's get/update shape).
  const map = new Map<string, unknown>();
  const memento: MementoLike = { get: (k) => map.get(k), update: (k, v) => (v === undefined ? map.delete(k) : map.set(k, JSON.parse(JSON.stringify(v))), Promise.resolve()) };
  const warnings: string[] = [];
  const state = new StateStore<HostState>(memento, hostStateSchema, (w) => warnings.push(w));
  const prefs = runPrefsHandlers(state, { path, fileName: 'sym.onnx' }, () => undefined);
  try {
    const calls: RunParams[] = [];
    const first = await openRunTab(true, calls, path, prefs);
    try {
      await first.v.page.locator('.mi-run-form[data-prefs="none"]').waitFor({ timeout: 60_000 });
      const dim = first.v.page.locator('input.mi-run-dim[data-dim="batch"]');
      assert.equal(await dim.inputValue(), '1', 'batch defaults to 1');
      await dim.fill('2');
      await first.v.page.locator('select.mi-run-source[data-input="x"]').selectOption('ones');
      await first.v.page.locator('#mi-run-runs').fill('3');
      await first.v.page.locator('#mi-run-button').click();
      await first.v.page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
      assert.deepEqual(calls[0].dims, { batch: 2 });
      assert.deepEqual(calls[0].inputs, [{ name: 'x', synth: 'ones' }]);
      assert.match(await first.v.page.locator('#mi-run-outputs tr[data-name="y"]').innerText(), /\[2, 3\]/);
      // Saved after the run (asynchronously): the store holds exactly what ran.
      const until = Date.now() + 60_000; // a hang guard: the save is signalled by the store, polled here
      while (!state.get('runInputs', path) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(state.get('runInputs', path), calls[0]);
      assert.deepEqual(first.v.problems, []);
    } finally {
      await first.v.close();
    }
    const second = await openRunTab(true, [], path, prefs);
    try {
      await second.v.page.locator('.mi-run-form[data-prefs="loaded"]').waitFor({ timeout: 60_000 });
      assert.equal(await second.v.page.locator('input.mi-run-dim[data-dim="batch"]').inputValue(), '2', 'the remembered dim is pre-filled');
      assert.equal(await second.v.page.locator('select.mi-run-source[data-input="x"]').inputValue(), 'ones');
      assert.equal(await second.v.page.locator('#mi-run-runs').inputValue(), '3');
    } finally {
      await second.v.close();
    }
    assert.deepEqual(warnings, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an NCHW array fed to the NHWC TF.js shapes model: the inputs table says it was laid out for the model', async () => {
  const tfjsShapes = join(__dirname, '../../examples/shapes/tfjs/model.json');
  const square = join(__dirname, '../../examples/shapes/square.npy');
  const calls: RunParams[] = [];
  const { v } = await openRunTab(true, calls, tfjsShapes);
  try {
    await v.page.locator('select.mi-run-source[data-input="image"]').selectOption('file');
    await v.page.locator('input.mi-run-file[data-input="image"]').fill(square);
    await v.page.locator('#mi-run-button').click();
    await v.page.locator('#mi-run-results').waitFor({ timeout: 30_000 });
    const row = await v.page.locator('#mi-run-used tr').first().innerText();
    assert.match(row, /float32 \[1, 32, 32, 1\]/);
    assert.match(await v.page.locator('#mi-run-used .mi-input-note').innerText(), /square\.npy holds \[1, 1, 32, 32\] \(NCHW\); laid out as \[1, 32, 32, 1\] \(NHWC\)/);
    await v.page.screenshot({ path: join(__dirname, '../../test-artifacts/run-input-note.png'), fullPage: true });
  } finally {
    await v.close();
  }
});
