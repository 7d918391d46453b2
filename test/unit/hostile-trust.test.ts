// Workspace trust: in Restricted Mode nothing executes. The host refuses every forwarded method that would run the
// model (deny by default), the engine is never asked, and viewing (open, graph, stats) loads no native runtime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { forwardedMethodNames, forwardedValidators } from '../../src/protocol/forwarded';
import { graphValidators } from '../../src/protocol/graph';
import { RpcEndpoint } from '../../src/protocol/rpc';
import { statsValidators } from '../../src/protocol/stats';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../../src/protocol/webview';
import { ModelHandle } from '../../src/host/model-handle';
import { PanelSession } from '../../src/host/panel-session';
import { MANAGE_TRUST_COMMAND, needsTrust, restrictedModeMessage } from '../../src/host/trust';
import { writeWeightsModel } from '../support/big-onnx';
import { buildEngine, removeBuild } from '../support/build-engine';
import { hasMapping } from '../support/proc-watch';
import { memoryChannel } from '../support/memory-channel';
import { recordingCaller } from '../support/recording-caller';

let enginePath: string;
let tmp: string;
let model: string;
const engines: EngineClient[] = [];
const ORT = /libonnxruntime/;

/** A panel over the real engine; `asked` records every method the host sent to the engine. */
async function panel(engine: EngineClient, trusted: boolean) {
  const asked: string[] = [];
  const caller = recordingCaller(engine, asked);
  const logs: string[] = [];
  const [hostSide, pageSide] = memoryChannel();
  const handle = new ModelHandle(model, 'weights.onnx', () => caller, (l, m) => logs.push(`${l}: ${m}`));
  const session = new PanelSession({ transport: hostSide, model: handle, engine: () => caller, isTrusted: () => trusted, log: (l, m) => logs.push(`${l}: ${m}`) });
  const page = new RpcEndpoint<WebviewMethods, HostMethods, HostEvents, WebviewEvents>(pageSide, {}, { defaultTimeoutMs: 60_000 });
  const init = new Promise<HostEvents['init']>((r) => page.on('init', r));
  page.sendReady({});
  return { session, handle, page, asked, logs, init: await init };
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-trust-'));
  model = writeWeightsModel(tmp, 'weights.onnx', { tensors: 2, rows: 16, cols: 8 }).path;
  enginePath = await buildEngine();
});

after(() => {
  for (const e of engines) e.dispose();
  rmSync(tmp, { recursive: true, force: true });
  if (enginePath) removeBuild(enginePath);
});

test('only graph and stats methods are view-only; every other forwarded method needs trust', () => {
  const view = new Set([...Object.keys(graphValidators).filter((m) => m !== 'getGraphShapes'), ...Object.keys(statsValidators)]);
  for (const m of forwardedMethodNames) assert.equal(needsTrust(m), !view.has(m), m);
  assert.ok(needsTrust('run'));
  // The graph's edge shapes come from a sample run: that runs the model.
  assert.ok(needsTrust('getGraphShapes'));
  // Methods that do not exist yet (explain, profile, activations) are refused by default.
  for (const m of ['explain', 'saliency', 'profile', 'activations', 'somethingNew']) assert.ok(needsTrust(m), m);
  assert.equal(MANAGE_TRUST_COMMAND, 'workbench.trust.manage');
  assert.match(restrictedModeMessage('Explain Prediction'), /^Explain Prediction is disabled in Restricted Mode: trust this workspace/);
});

test('untrusted: viewing works, every executing method is refused with "untrusted" and never reaches the engine, and no native runtime is loaded', async () => {
  const engine = new EngineClient({ enginePath });
  engines.push(engine);
  const { pid } = await engine.start();
  const p = await panel(engine, false);
  assert.equal(p.init.trusted, false);
  const summary = await p.page.call('getOverview', {});
  assert.equal(summary.parameterCount, 2 * 16 * 8);
  assert.ok((await p.page.call('getGraph', {})).nodes.length > 0);
  assert.equal((await p.page.call('getWeightStats', {})).tensors.length, 2);

  const executing = forwardedMethodNames.filter(needsTrust);
  assert.ok(executing.includes('run'));
  const minimal: Record<string, unknown> = {
    run: { runs: 1, providers: ['cpu'] },
    activations: { values: ['h'] },
    explain: { methods: ['occlusion'] },
    runPrompt: { prompt: 'hello' },
    explainPrompt: { prompt: 'hello', method: 'occlusion' },
    attentionMaps: { prompt: 'hello' },
    attentionHead: { prompt: 'hello', layer: 0, head: 0 },
    logitLens: { prompt: 'hello' },
  };
  for (const m of executing) {
    // Valid params, so the refusal is about trust, not about the request.
    const params = minimal[m] ?? {};
    assert.equal(forwardedValidators[m](params, 'params'), undefined, `test params for ${m} are valid`);
    await assert.rejects((p.page.call as (m: string, p: unknown) => Promise<unknown>)(m, params), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'untrusted', e.message);
      assert.match(e.message, /^Running weights\.onnx \(\w+\) is disabled in Restricted Mode: trust this workspace to run it\.$/);
      return true;
    });
    assert.ok(p.logs.some((l) => l.includes(`refused ${m} in Restricted Mode`)), p.logs.join('\n'));
  }
  assert.deepEqual(p.asked.filter((m) => executing.includes(m as never)), [], 'no executing method was sent to the engine');
  assert.equal(hasMapping(pid, ORT), false, 'open + graph + stats must not load onnxruntime');
  p.session.dispose();
  await p.handle.close();
});

test('trusted: the same panel runs the model, and only then is onnxruntime mapped (the check above can fail)', async () => {
  const engine = new EngineClient({ enginePath });
  engines.push(engine);
  const { pid } = await engine.start();
  const p = await panel(engine, true);
  await p.page.call('getWeightStats', {});
  assert.equal(hasMapping(pid, ORT), false);
  const r = await p.page.call('run', { runs: 1, providers: ['cpu'] });
  assert.equal(r.provider, 'cpu');
  assert.ok(p.asked.includes('run'));
  assert.equal(hasMapping(pid, ORT), true, 'running loads onnxruntime into the engine');
  p.session.dispose();
  await p.handle.close();
});
