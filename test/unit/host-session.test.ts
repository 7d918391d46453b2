import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { RpcEndpoint } from '../../src/protocol/rpc';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../../src/protocol/webview';
import { ModelHandle } from '../../src/host/model-handle';
import { PanelSession, reportEngineStop } from '../../src/host/panel-session';
import { onnx } from 'onnx-proto';
import { buildEngine } from '../support/build-engine';
import { memoryChannel } from '../support/memory-channel';

// The host's panel glue against the real engine process (built from src/engine) and a webview-side RpcEndpoint
// joined by an asynchronous in-memory channel that clones messages like postMessage does.

const conv = '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx';
let engine: EngineClient;
let tmp: string;
/** A MatMul of two n×n inputs: with dims {n: 1024} each run takes long enough to cancel or crash mid-job. */
let slow: string;

function slowModel(): Uint8Array {
  const square = (name: string): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'n' }, { dimParam: 'n' }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'slow', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'], name: 'mm' }], input: [square('a'), square('b')], output: [square('c')] },
  }).finish();
}

type Page = RpcEndpoint<WebviewMethods, HostMethods, HostEvents, WebviewEvents>;

/** The real engine, with a record of what the host asked of it and how each call ended. */
function recordingEngine() {
  const calls: { method: string; params: unknown; signal?: AbortSignal; outcome?: string }[] = [];
  const caller = {
    call(method: string, params: unknown, opts: { signal?: AbortSignal } = {}) {
      const rec: (typeof calls)[number] = { method, params, signal: opts.signal };
      calls.push(rec);
      return (engine.call as (m: string, p: unknown, o: object) => Promise<unknown>).call(engine, method, params, opts).then(
        (v) => ((rec.outcome = 'ok'), v),
        (e: Error & { code?: string }) => {
          rec.outcome = e.code ?? 'error';
          throw e;
        },
      );
    },
  } as unknown as EngineClient;
  return { calls, caller };
}

function open(path: string, opts: { trusted?: boolean; engine?: EngineClient } = {}) {
  const [hostSide, pageSide] = memoryChannel();
  const eng = () => opts.engine ?? engine;
  const logs: string[] = [];
  const selected: string[] = [];
  const model = new ModelHandle(path, path.split('/').pop()!, eng, (level, m) => logs.push(`${level}: ${m}`));
  const session = new PanelSession({
    transport: hostSide,
    model,
    engine: eng,
    isTrusted: () => opts.trusted ?? true,
    log: (level, m) => logs.push(`${level}: ${m}`),
    onSelectNode: (id) => selected.push(id),
  });
  const page: Page = new RpcEndpoint(pageSide, {}, { defaultTimeoutMs: 60_000 });
  const events: { name: string; payload: unknown }[] = [];
  for (const name of ['init', 'error', 'trust'] as const) page.on(name, (payload) => events.push({ name, payload }));
  const ready = async () => {
    const before = events.filter((e) => e.name === 'init').length;
    page.sendReady({});
    await until(() => events.filter((e) => e.name === 'init').length > before);
  };
  return { session, model, page, events, logs, selected, ready };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-host-'));
  slow = join(tmp, 'slow.onnx');
  writeFileSync(slow, slowModel());
  engine = new EngineClient({ enginePath: await buildEngine(), env: { MODEL_INSPECTOR_TEST_HOOKS: '1' }, maxOldSpaceMb: 1024 });
});

after(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('ready gets init; getOverview is the engine summary of the file', async () => {
  const p = open(conv);
  await p.ready();
  assert.deepEqual(p.events[0], { name: 'init', payload: { view: 'panel', fileName: 'model.onnx', trusted: true } });
  const summary = await p.page.call('getOverview', {});
  const expected = summarize(await openModel(conv), statSync(conv).size);
  assert.deepEqual(summary, expected);
  assert.ok(p.model.summary, 'the handle keeps the summary for the side view');
  p.session.dispose();
  await p.model.close();
});

test('feature requests are forwarded with the modelId; forged or malformed ones are refused', async () => {
  const p = open(conv);
  await p.ready();
  const graph = await p.page.call('getGraph', {});
  assert.ok(graph.nodes.some((n) => n.kind === 'op'), 'the engine answered for this panel\'s model');
  const refused = (code: string) => (e: Error & { code?: string }) => e.code === code;
  // The page may not choose the model: modelId is not a field it can send.
  await assert.rejects(p.page.call('getGraph', { modelId: 'm1' } as never), refused('bad-request'));
  await assert.rejects(p.page.call('getNodeDetails', { nodeId: 7 } as never), refused('bad-request'));
  await assert.rejects(p.page.call('open' as never, { path: '/etc/passwd' } as never), refused('unknown-method'));
  // Events: valid ones reach the host, forged ones are dropped and logged.
  p.page.emit('selectNode', { nodeId: 'n1', extra: true } as never);
  p.page.emit('selectNode', { nodeId: 'n2' });
  await until(() => p.selected.length > 0);
  assert.deepEqual(p.selected, ['n2']);
  assert.ok(p.logs.some((l) => /rejected event "selectNode"/.test(l)), p.logs.join('\n'));
  p.session.dispose();
  await p.model.close();
});

test('a broken file ends in an error event naming the file, and retry tries again', async () => {
  const bad = join(tmp, 'broken.onnx');
  writeFileSync(bad, 'this is not protobuf at all, just text');
  const p = open(bad);
  await p.ready();
  await assert.rejects(p.page.call('getOverview', {}), (e: Error) => e.message.startsWith('broken.onnx: '));
  await until(() => p.events.some((e) => e.name === 'error'));
  const err = p.events.find((e) => e.name === 'error')!.payload as HostEvents['error'];
  assert.ok(err.message.startsWith('broken.onnx: ') && err.retryable, err.message);
  assert.ok(p.logs.some((l) => l.startsWith('error: could not open') && l.includes(bad)), 'details go to the log');
  // Fix the file, retry: it opens.
  writeFileSync(bad, readFileSync(conv));
  await p.page.call('retry', {});
  assert.equal((await p.page.call('getOverview', {})).nodeCount, 1);
  p.session.dispose();
  await p.model.close();
});

test('running is refused in Restricted Mode and allowed when trusted, with cancellation passed through', async () => {
  const untrusted = open(conv, { trusted: false });
  await untrusted.ready();
  assert.equal((untrusted.events[0].payload as HostEvents['init']).trusted, false);
  await assert.rejects(untrusted.page.call('run', {}), (e: Error & { code?: string }) => e.code === 'untrusted');
  untrusted.session.dispose();
  await untrusted.model.close();

  const p = open(conv);
  await p.ready();
  const result = await p.page.call('run', { runs: 2, providers: ['cpu'] });
  assert.equal(result.provider, 'cpu');
  assert.deepEqual(result.outputs[0].shape, [2, 4, 5, 4]);
  // A long run cancelled from the page stops with 'cancelled' (the cancel travels page -> host -> engine).
  const ac = new AbortController();
  const recorded = recordingEngine();
  const slowPage = open(slow, { engine: recorded.caller });
  await slowPage.ready();
  // Cancelled once the engine reports progress (the run is under way): 'cancelled', not the 1000 runs' result.
  const long = slowPage.page.call('run', { runs: 1000, warmup: 0, providers: ['cpu'], dims: { n: 1024 } }, { signal: ac.signal, onProgress: () => ac.abort() });
  await assert.rejects(long, (e: Error & { code?: string }) => e.code === 'cancelled');
  // The host forwarded the page's params with the modelId, and the page's cancel reached the engine call.
  const forwarded = recorded.calls.find((c) => c.method === 'run')!;
  assert.deepEqual(Object.keys(forwarded.params as object).sort(), ['dims', 'modelId', 'providers', 'runs', 'warmup']);
  // (The page rejects at once; its cancel message reaches the host a moment later.)
  await until(() => forwarded.outcome !== undefined);
  assert.equal(forwarded.signal?.aborted, true);
  assert.equal(forwarded.outcome, 'cancelled');
  slowPage.session.dispose();
  await slowPage.model.close();
  assert.equal((await engine.call('ping', {})).pid > 0, true, 'the engine is still alive');
  p.session.dispose();
  await p.model.close();
});

test('a reloaded page gets a fresh init; an engine crash fails the call and reopening works after invalidate', async () => {
  const p = open(conv);
  await p.ready();
  await p.page.call('getOverview', {});
  await p.ready();
  assert.equal(p.events.filter((e) => e.name === 'init').length, 2);
  const before = p.model.summary;
  assert.ok(before);

  const crashed = new Promise<string>((r) => {
    const off = engine.onCrash((reason) => {
      off();
      r(reason);
    });
  });
  // The engine dies while a long job that a page waits on is running.
  const slowPage = open(slow);
  await slowPage.ready();
  // Crash once the run is under way in the engine (its first progress report), not after a guessed delay.
  let running!: () => void;
  const underWay = new Promise<void>((r) => (running = r));
  const inFlight = slowPage.page.call('run', { runs: 1000, warmup: 0, providers: ['cpu'], dims: { n: 1024 } }, { onProgress: () => running() });
  await underWay;
  void engine.call('crashForTest', { afterMs: 0 }).catch(() => undefined);
  reportEngineStop(p.model, [p.session], await crashed);
  await assert.rejects(inFlight, (e: Error & { code?: string }) => e.code === 'crashed');
  slowPage.session.dispose();
  await until(() => p.events.some((e) => e.name === 'error'));
  const shown = (p.events.find((e) => e.name === 'error')!.payload as HostEvents['error']);
  assert.match(shown.message, /^model\.onnx: the model engine stopped \(.+\)/);
  assert.ok(shown.retryable);
  await p.page.call('retry', {});
  const again = await p.page.call('getOverview', {});
  assert.equal(again.parameterCount, before.parameterCount);
  assert.ok((await p.page.call('getGraph', {})).nodes.length > 0, 'forwarding uses the new modelId');
  p.session.dispose();
  await p.model.close();
});
