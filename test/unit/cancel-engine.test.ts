// Cancellation of every long engine job, measured end to end through the real forked engine: the caller's promise
// must reject with 'cancelled' within 500 ms, the engine must answer a ping right after, and the process that ran
// the job must go idle (or be gone) within 500 ms (the job really stopped, not just the caller's wait).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { RpcError } from '../../src/protocol/wire';
import { writeLongChainModel, writeMatMulModel, writeWeightsModel } from '../support/big-onnx';
import { buildEngine, removeBuild } from '../support/build-engine';
import { msUntilIdle } from '../support/proc-watch';

/** getWeightStats takes only the modelId; its engine params type (Record<string, never> & {modelId}) has no literal form. */
const statsParams = (modelId: string) => ({ modelId }) as never;
const LIMIT_MS = 500;
let enginePath: string;
let tmp: string;
let engine: EngineClient;
let weights: string;
let chain: string;
let matmul: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Like msUntilIdle, but a process that was killed (the engine replaced after a stuck cancel) counts as idle. */
async function msUntilIdleOrGone(pid: number, since: number): Promise<number> {
  try {
    return await msUntilIdle(pid, since, { maxMs: 15_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return performance.now() - since;
    throw e;
  }
}

interface Measured {
  outcome: string;
  rejectMs: number;
  pingMs: number;
  idleMs: number;
  /** The engine process that ran the job, and the one answering after the cancel. */
  pidBefore: number;
  pidAfter: number;
}

/**
 * Starts a job, cancels it after `afterMs`, and measures from the cancel: when the promise settled, when a ping
 * came back, and when the engine's CPU went idle.
 */
async function cancelAfter(afterMs: number, job: (signal: AbortSignal) => Promise<unknown>): Promise<Measured> {
  const ac = new AbortController();
  let settledAt = 0;
  const p = job(ac.signal).then(
    () => 'resolved',
    (e: unknown) => (e instanceof RpcError ? e.code : String(e)),
  ).finally(() => (settledAt = performance.now()));
  await sleep(afterMs);
  assert.equal(settledAt, 0, `the job must still be running when it is cancelled (it ended after < ${afterMs} ms)`);
  const pidBefore = engine.pid!;
  const t0 = performance.now();
  ac.abort();
  const outcome = await p;
  const rejectMs = settledAt - t0;
  const { pid: pidAfter } = await engine.call('ping', {}, { timeoutMs: 10_000 });
  const pingMs = performance.now() - t0;
  const idleMs = await msUntilIdleOrGone(pidBefore, t0);
  return { outcome, rejectMs, pingMs, idleMs, pidBefore, pidAfter };
}

function report(t: TestContext, job: string, m: Measured): void {
  t.diagnostic(`${job}: rejected '${m.outcome}' after ${m.rejectMs.toFixed(1)} ms; ping answered ${m.pingMs.toFixed(1)} ms after the cancel; engine CPU idle after ${m.idleMs.toFixed(0)} ms${m.pidAfter === m.pidBefore ? '' : ' (stuck engine replaced)'}`);
}

function assertCancelledInTime(m: Measured): void {
  assert.equal(m.outcome, 'cancelled');
  assert.ok(m.rejectMs < LIMIT_MS, `the promise rejected after ${m.rejectMs} ms`);
  assert.ok(m.pingMs < LIMIT_MS, `the engine answered a ping only ${m.pingMs} ms after the cancel`);
  assert.ok(m.idleMs < LIMIT_MS, `the engine kept working for ${m.idleMs} ms after the cancel`);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-cancel-'));
  // ~480 MB of inline float32 weights: the stats pass takes over a second on this machine.
  weights = writeWeightsModel(tmp, 'weights.onnx', { tensors: 48, rows: 1024, cols: 2560 }).path;
  // 200k nodes: decoding and mapping the graph takes well over a second.
  chain = writeLongChainModel(tmp, 'chain.onnx', 200_000);
  matmul = writeMatMulModel(tmp, 'matmul.onnx');
  enginePath = await buildEngine();
  engine = new EngineClient({ enginePath });
  await engine.start();
});

after(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
  if (enginePath) removeBuild(enginePath);
});

// The ONNX reader decodes and maps the graph in slices that pause and check the signal: the same engine stops.
test('open (parse) of a 200k-node model cancels within 500 ms', async (t) => {
  const m = await cancelAfter(200, (signal) => engine.call('open', { path: chain }, { signal }));
  report(t, 'open', m);
  assertCancelledInTime(m);
  assert.equal(m.pidAfter, m.pidBefore, 'a cooperative cancel must not need an engine restart');
  // Cancelled, not broken: the same file opens when nobody cancels.
  const { modelId, summary } = await engine.call('open', { path: chain });
  assert.equal(summary.nodeCount, 200_000);
  await engine.call('close', { modelId });
});

test('weight statistics over ~480 MB cancel within 500 ms, and a later request computes them afresh', async (t) => {
  const { modelId } = await engine.call('open', { path: weights });
  const m = await cancelAfter(200, (signal) => engine.call('getWeightStats', statsParams(modelId), { signal }));
  report(t, 'stats', m);
  assertCancelledInTime(m);
  // A cancelled pass is not cached as a failure.
  const stats = await engine.call('getWeightStats', statsParams(modelId));
  assert.equal(stats.tensors.length, 48);
  await engine.call('close', { modelId });
});

test('a 1000-run inference loop cancels within 500 ms', async (t) => {
  const { modelId } = await engine.call('open', { path: matmul });
  // Load the session first so the cancel lands in the run loop, not in session creation.
  await engine.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
  const m = await cancelAfter(300, (signal) => engine.call('run', { modelId, runs: 1000, warmup: 0, providers: ['cpu'], dims: { n: 1024 } }, { signal }));
  report(t, 'run (1000 × 1024² MatMul)', m);
  assertCancelledInTime(m);
  await engine.call('close', { modelId });
});

// onnxruntime-node's session.run is a synchronous native call on the engine's main thread: nothing in the engine can
// interrupt it. The client notices (no ping answer within its grace period after the cancel), kills that engine and
// starts a fresh one; the old model id is gone, the engine is usable.
test('one long native inference call (a 3072² MatMul, seconds) cancels within 500 ms', async (t) => {
  const { modelId } = await engine.call('open', { path: matmul });
  await engine.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
  const generation = engine.generation;
  const m = await cancelAfter(300, (signal) => engine.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 3072 } }, { signal }));
  report(t, 'run (one 3072² MatMul)', m);
  assertCancelledInTime(m);
  assert.notEqual(m.pidAfter, m.pidBefore, 'the stuck engine was replaced');
  assert.equal(engine.generation, generation + 1);
  // The fresh engine works: the model reopens and runs.
  const reopened = await engine.call('open', { path: matmul });
  const run = await engine.call('run', { modelId: reopened.modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
  assert.ok(run);
  await engine.call('close', { modelId: reopened.modelId });
});
