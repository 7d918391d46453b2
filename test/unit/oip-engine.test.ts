// Through the real forked engine: servers and secrets arrive in the typed configure request (memory only), the
// opened model's summary names the server backend, a run is answered by the server with the token sent, a fault on
// the server is an error while the engine goes on answering, and Cancel aborts the request in flight.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { RpcError } from '../../src/protocol/wire';
import type { EngineSettings } from '../../src/protocol/settings';
import { buildEngine, removeBuild } from '../support/build-engine';
import { startOipServer, type OipTestServer } from '../support/oip-server';

const IMAGE = resolve(__dirname, '../../examples/tiny-cnn.onnx');
let enginePath: string;
let server: OipTestServer;
let engine: EngineClient;
let settings: EngineSettings;

before(async () => {
  enginePath = await buildEngine();
  server = await startOipServer({ models: { tiny: { path: IMAGE } } });
  server.requireHeader = { name: 'authorization', value: 'Bearer e2e' };
  settings = { devices: {}, servers: { [IMAGE]: { url: server.url, model: 'tiny', timeoutMs: 60_000 } }, secrets: { [server.url]: { header: 'authorization', value: 'Bearer e2e' } } };
  engine = new EngineClient({ enginePath, settings: () => settings });
  await engine.start();
});

after(async () => {
  engine.dispose();
  await server.close();
  removeBuild(enginePath);
});

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
};

test('the engine runs a bound model on the server, survives a server fault, and Cancel aborts the request', async () => {
  const { modelId, summary } = await engine.call('open', { path: IMAGE });
  assert.equal(summary.runs?.runtime, 'oip');
  const r = await engine.call('run', { modelId, runs: 1, warmup: 0 });
  assert.equal(r.provider, `server ${server.url} model tiny:1`);
  assert.equal(r.server?.ready, true);
  assert.equal(server.requests.at(-1)?.headers.authorization, 'Bearer e2e');

  server.fault = { kind: 'status500' };
  await assert.rejects(engine.call('run', { modelId, runs: 1, warmup: 0 }), (e: unknown) => e instanceof RpcError && /answered HTTP 500: the model failed \(injected fault\)/.test(e.message));
  const pid = engine.pid;
  await engine.call('ping', {});
  assert.equal(engine.pid, pid, 'the same engine process answers after the fault');

  server.fault = { kind: 'slow', delayMs: 50_000 };
  const ac = new AbortController();
  const count = server.inferCount;
  const abandoned = server.abandoned;
  const p = engine.call('run', { modelId, runs: 1, warmup: 0 }, { signal: ac.signal });
  await waitFor(() => server.inferCount > count);
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === 'cancelled');
  await waitFor(() => server.abandoned > abandoned); // the HTTP request itself was aborted, not left running
  assert.equal(engine.pid, pid);

  server.fault = undefined;
  const again = await engine.call('run', { modelId, runs: 1, warmup: 0 });
  assert.equal(again.outputs[0].name, 'probabilities');
  await engine.call('close', { modelId });
});

test('reconfigured without the server, the same file opens on onnxruntime again', async () => {
  settings = { devices: {} };
  await engine.reconfigure();
  const { modelId, summary } = await engine.call('open', { path: IMAGE });
  assert.equal(summary.runs?.runtime, 'onnxruntime');
  await engine.call('close', { modelId });
});
