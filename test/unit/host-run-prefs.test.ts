// Remembered Run tab inputs through the host's real panel glue: a webview-side RpcEndpoint talks to a PanelSession
// over an in-memory channel that clones messages like postMessage; the store is the real StateStore over a Memento
// with globalState's get/update shape. No engine is needed: prefs never reach it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcEndpoint } from '../../src/protocol/rpc';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../../src/protocol/webview';
import type { RunParams } from '../../src/protocol/run';
import { ModelHandle, type EngineCaller } from '../../src/host/model-handle';
import { PanelSession } from '../../src/host/panel-session';
import { rememberedRunDefaults } from '../../src/host/run-prefs';
import { hostStateSchema, StateStore, type HostState, type MementoLike } from '../../src/host/state-store';
import { MapMemento } from '../support/map-memento';
import { memoryChannel } from '../support/memory-channel';

const noEngine = (): EngineCaller => {
  throw new Error('prefs must not use the engine');
};

async function panel(path: string | undefined, memento: MementoLike, opts: { trusted?: boolean; pickTokenizer?: () => Promise<string | undefined> } = {}) {
  const warnings: string[] = [];
  const logs: string[] = [];
  const state = new StateStore<HostState>(memento, hostStateSchema, (m) => warnings.push(m));
  const [hostSide, pageSide] = memoryChannel();
  const model = new ModelHandle(path, path?.split('/').pop() ?? 'remote.onnx', noEngine, () => undefined);
  const session = new PanelSession({
    transport: hostSide,
    model,
    engine: noEngine,
    isTrusted: () => opts.trusted ?? true,
    log: (level, m) => logs.push(`${level}: ${m}`),
    prefs: state,
    pickTokenizer: opts.pickTokenizer,
  });
  const page = new RpcEndpoint<WebviewMethods, HostMethods, HostEvents, WebviewEvents>(pageSide, {}, { defaultTimeoutMs: 5000 });
  let inited = false;
  page.on('init', () => (inited = true));
  page.sendReady({});
  while (!inited) await new Promise((r) => setTimeout(r, 5));
  return { page, session, state, warnings, logs, close: () => (session.dispose(), page.dispose()) };
}

const prefs: RunParams = {
  inputs: [{ name: 'image', file: '/data/cat.jpg', image: { normalize: 'imagenet', order: 'bgr' } }, { name: 'mask', synth: 'ones' }],
  dims: { batch: 1, sequence: 128 },
  runs: 7,
  seed: 3,
  providers: ['cpu'],
};

test('set → get round-trips per model path, in Restricted Mode too, and survives a new panel (new session)', async () => {
  const memento = new MapMemento();
  const a = await panel('/models/a.onnx', memento, { trusted: false });
  assert.equal(await a.page.call('getRunPrefs', {}), null, 'nothing remembered yet');
  await a.page.call('setRunPrefs', { prefs });
  assert.deepEqual(await a.page.call('getRunPrefs', {}), prefs);
  a.close();
  const again = await panel('/models/a.onnx', memento);
  assert.deepEqual(await again.page.call('getRunPrefs', {}), prefs, 'remembered across panels');
  const other = await panel('/models/b.onnx', memento);
  assert.equal(await other.page.call('getRunPrefs', {}), null, 'keyed by model path');
  // Quick Inference reuses the confirmed dims, seed, providers and inputs, not the timed-run count.
  assert.deepEqual(rememberedRunDefaults(again.state, '/models/a.onnx'), { dims: prefs.dims, seed: 3, providers: ['cpu'], inputs: prefs.inputs });
  assert.deepEqual(rememberedRunDefaults(again.state, '/models/b.onnx'), {});
  again.close();
  other.close();
  assert.deepEqual([...memento.map.keys()], ['modelInspector.runInputs//models/a.onnx']);
});

test('invalid or oversized prefs are refused by the validators and nothing is stored', async () => {
  const memento = new MapMemento();
  const p = await panel('/models/a.onnx', memento);
  const bad: unknown[] = [
    { runs: 1e9 },
    { providers: ['evil'] },
    { dims: { batch: 0 } },
    { dims: { batch: 1.5 } },
    { inputs: [{ name: 'x', synth: 'lava' }] },
    { unexpected: true },
    // Every field valid, but far over the size limit for remembered prefs.
    { inputs: Array.from({ length: 60 }, (_, i) => ({ name: `in${i}`, file: `/${'x'.repeat(1000)}.npy` })) },
  ];
  for (const b of bad) {
    await assert.rejects(p.page.call('setRunPrefs', { prefs: b as RunParams }), (e: Error & { code?: string }) => e.code === 'bad-request', JSON.stringify(b).slice(0, 80));
  }
  await assert.rejects(p.page.call('setRunPrefs', {} as never), /bad-request|prefs/);
  assert.equal(memento.map.size, 0);
  assert.equal(await p.page.call('getRunPrefs', {}), null);
  p.close();
});

test('corrupt stored prefs read as null with a warning, and are dropped', async () => {
  const memento = new MapMemento();
  const key = 'modelInspector.runInputs//models/a.onnx';
  for (const junk of [{ v: 1, data: { runs: -5 } }, { v: 1, data: null }, 'not an envelope', { v: 99, data: prefs }]) {
    memento.map.set(key, junk);
    const p = await panel('/models/a.onnx', memento);
    assert.equal(await p.page.call('getRunPrefs', {}), null, JSON.stringify(junk));
    assert.equal(p.warnings.length, 1);
    assert.match(p.warnings[0], /runInputs\/\/models\/a\.onnx was discarded/);
    assert.equal(memento.map.has(key), false, 'the corrupt value is removed');
    p.close();
  }
});

test('a model with no path on disk has no prefs and remembers none', async () => {
  const memento = new MapMemento();
  const p = await panel(undefined, memento);
  await p.page.call('setRunPrefs', { prefs });
  assert.equal(await p.page.call('getRunPrefs', {}), null);
  assert.equal(memento.map.size, 0);
  p.close();
});

test('a picked tokenizer.json is remembered per model path; cancel keeps the old pick; clear forgets it', async () => {
  const memento = new MapMemento();
  let answer: string | undefined = '/tok/llama/tokenizer.json';
  const a = await panel('/models/lm.onnx', memento, { pickTokenizer: async () => answer });
  assert.deepEqual(await a.page.call('getTokenizer', {}), { path: null }, 'the model\'s own tokenizer at first');
  assert.deepEqual(await a.page.call('pickTokenizer', {}), { path: '/tok/llama/tokenizer.json' });
  answer = undefined; // the user cancels the dialog
  assert.equal(await a.page.call('pickTokenizer', {}), null);
  a.close();
  const again = await panel('/models/lm.onnx', memento);
  assert.deepEqual(await again.page.call('getTokenizer', {}), { path: '/tok/llama/tokenizer.json' }, 'remembered across panels');
  const other = await panel('/models/other.onnx', memento);
  assert.deepEqual(await other.page.call('getTokenizer', {}), { path: null }, 'keyed by model path');
  assert.deepEqual(await again.page.call('pickTokenizer', { clear: true }), { path: null });
  assert.deepEqual(await again.page.call('getTokenizer', {}), { path: null });
  again.close();
  other.close();
});
