// Cancellation of every long engine job, measured end to end through the real forked engine: the caller's promise
// must reject at once (without waiting for the engine), the engine must answer a ping after it, and the process that
// ran the job must stop working (or be gone): the job really stopped, not just the caller's wait.
//
// Bounds are in engine CPU time, not wall time: on a loaded machine the engine may wait seconds for a core, but the
// work it does after the cancel stays the same. Wall times are printed as diagnostics only.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { RpcError } from '../../src/protocol/wire';
import { writeLongChainModel, writeMatMulModel, writeWeightsModel } from '../support/big-onnx';
import { buildEngine, removeBuild } from '../support/build-engine';
import { cpuMs, msUntilIdle } from '../support/proc-watch';

/** getWeightStats takes only the modelId; its engine params type (Record<string, never> & {modelId}) has no literal form. */
const statsParams = (modelId: string) => ({ modelId }) as never;
/** Engine CPU time a cancelled job may still use: a few of its slices, far below the seconds the jobs take. */
const CPU_LIMIT_MS = 500;
let enginePath: string;
let tmp: string;
/** The engine for the cooperative jobs: its stuck-engine grace period is long, so a loaded machine (a ping answered
 *  late) cannot turn a cooperative stop into a restart; the native job's test uses the product's default. */
let engine: EngineClient;
let weights: string;
let chain: string;
let matmul: string;

/** Resolves after the current microtasks and one turn of the event loop's I/O: long enough for a local rejection. */
const turn = () => new Promise((r) => setImmediate(r));

/** True while `pid` exists and is not a zombie (killed, waiting to be reaped). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Measured {
  outcome: string;
  /** Whether the caller's promise had settled one event-loop turn after the cancel (no engine round trip needed). */
  settledAtOnce: boolean;
  /** Engine CPU ms from the cancel until it went idle; undefined when the process was killed and replaced. */
  cpuAfterCancelMs: number | undefined;
  wall: { rejectMs: number; pingMs: number; idleMs: number };
  /** The engine process that ran the job, and the one answering after the cancel. */
  pidBefore: number;
  pidAfter: number;
}

/**
 * Starts a job, cancels it once it has used `afterCpuMs` of engine CPU (so the cancel lands mid-job however loaded
 * the machine is), and measures from the cancel: whether the promise settled at once, the engine CPU used until it
 * went idle, and (diagnostics) the wall times.
 */
async function cancelAfter(client: EngineClient, afterCpuMs: number, job: (signal: AbortSignal) => Promise<unknown>): Promise<Measured> {
  const ac = new AbortController();
  let settledAt = 0;
  const pidBefore = client.pid!;
  const cpuStart = cpuMs(pidBefore);
  const p = job(ac.signal).then(
    () => 'resolved',
    (e: unknown) => (e instanceof RpcError ? e.code : String(e)),
  ).finally(() => (settledAt = performance.now()));
  while (settledAt === 0 && cpuMs(pidBefore) - cpuStart < afterCpuMs) await new Promise((r) => setTimeout(r, 10));
  assert.equal(settledAt, 0, `the job must still be running when it is cancelled (it ended after < ${afterCpuMs} ms of engine CPU)`);
  const cpuAtCancel = cpuMs(pidBefore);
  const t0 = performance.now();
  ac.abort();
  await turn();
  const settledAtOnce = settledAt !== 0;
  const outcome = await p;
  const rejectMs = settledAt - t0;
  const { pid: pidAfter } = await client.call('ping', {}, { timeoutMs: 60_000 });
  const pingMs = performance.now() - t0;
  let cpuAfterCancelMs: number | undefined;
  let idleMs = NaN;
  if (pidAfter === pidBefore) {
    idleMs = await msUntilIdle(pidBefore, t0, { maxMs: 60_000 });
    cpuAfterCancelMs = cpuMs(pidBefore) - cpuAtCancel;
  }
  return { outcome, settledAtOnce, cpuAfterCancelMs, wall: { rejectMs, pingMs, idleMs }, pidBefore, pidAfter };
}

function report(t: TestContext, job: string, m: Measured): void {
  const cpu = m.cpuAfterCancelMs === undefined ? 'engine killed and replaced' : `engine used ${m.cpuAfterCancelMs} ms CPU after the cancel`;
  t.diagnostic(`${job}: rejected '${m.outcome}'${m.settledAtOnce ? ' at once' : ' LATE'}; ${cpu}; wall: rejected ${m.wall.rejectMs.toFixed(1)} ms, ping ${m.wall.pingMs.toFixed(0)} ms, idle ${m.wall.idleMs.toFixed(0)} ms after the cancel`);
}

/** A cooperative cancel: rejected at once, the same engine answers, and it stopped within CPU_LIMIT_MS of CPU. */
function assertStoppedCooperatively(m: Measured): void {
  assert.equal(m.outcome, 'cancelled');
  assert.ok(m.settledAtOnce, 'the caller\'s promise must reject at the cancel, not when the engine gets round to it');
  assert.equal(m.pidAfter, m.pidBefore, 'a cooperative cancel must not need an engine restart');
  assert.ok(m.cpuAfterCancelMs! < CPU_LIMIT_MS, `the engine kept working for ${m.cpuAfterCancelMs} ms of CPU after the cancel`);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-cancel-'));
  // ~480 MB of inline float32 weights: the stats pass takes over a second on this machine.
  weights = writeWeightsModel(tmp, 'weights.onnx', { tensors: 48, rows: 1024, cols: 2560 }).path;
  // 200k nodes: decoding and mapping the graph takes well over a second.
  chain = writeLongChainModel(tmp, 'chain.onnx', 200_000);
  matmul = writeMatMulModel(tmp, 'matmul.onnx');
  enginePath = await buildEngine();
  engine = new EngineClient({ enginePath, cancelGraceMs: 60_000 });
  await engine.start();
});

after(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
  if (enginePath) removeBuild(enginePath);
});

// The ONNX reader decodes and maps the graph in slices that pause and check the signal: the same engine stops.
test('open (parse) of a 200k-node model stops at the cancel', async (t) => {
  const m = await cancelAfter(engine, 200, (signal) => engine.call('open', { path: chain }, { signal }));
  report(t, 'open', m);
  assertStoppedCooperatively(m);
  // Cancelled, not broken: the same file opens when nobody cancels.
  const { modelId, summary } = await engine.call('open', { path: chain });
  assert.equal(summary.nodeCount, 200_000);
  await engine.call('close', { modelId });
});

test('weight statistics over ~480 MB stop at the cancel, and a later request computes them afresh', async (t) => {
  const { modelId } = await engine.call('open', { path: weights });
  const m = await cancelAfter(engine, 200, (signal) => engine.call('getWeightStats', statsParams(modelId), { signal }));
  report(t, 'stats', m);
  assertStoppedCooperatively(m);
  // A cancelled pass is not cached as a failure.
  const stats = await engine.call('getWeightStats', statsParams(modelId));
  assert.equal(stats.tensors.length, 48);
  await engine.call('close', { modelId });
});

test('a 1000-run inference loop stops at the cancel', async (t) => {
  const { modelId } = await engine.call('open', { path: matmul });
  // Load the session first so the cancel lands in the run loop, not in session creation.
  await engine.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
  const m = await cancelAfter(engine, 300, (signal) => engine.call('run', { modelId, runs: 1000, warmup: 0, providers: ['cpu'], dims: { n: 1024 } }, { signal }));
  report(t, 'run (1000 × 1024² MatMul)', m);
  assertStoppedCooperatively(m);
  await engine.call('close', { modelId });
});

// onnxruntime-node's session.run is a synchronous native call on the engine's main thread: nothing in the engine can
// interrupt it. The client notices (no ping answer within its grace period after the cancel), kills that engine and
// swaps in a fresh one; the old model id is gone, the engine is usable. Runs on a client with the product's grace period.
test('one long native inference call (a 3072² MatMul, seconds) is stopped by replacing the engine', async (t) => {
  const native = new EngineClient({ enginePath });
  try {
    const { modelId } = await native.call('open', { path: matmul });
    await native.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
    const generation = native.generation;
    const m = await cancelAfter(native, 300, (signal) => native.call('run', { modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 3072 } }, { signal }));
    report(t, 'run (one 3072² MatMul)', m);
    assert.equal(m.outcome, 'cancelled');
    assert.ok(m.settledAtOnce, 'the caller\'s promise must reject at the cancel, not when the native call returns');
    assert.notEqual(m.pidAfter, m.pidBefore, 'the stuck engine was replaced');
    assert.equal(native.generation, generation + 1);
    // The old process was killed, not left to finish its MatMul: it goes away (SIGKILL; reaping may take a moment).
    const deadline = performance.now() + 60_000;
    while (running(m.pidBefore) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!running(m.pidBefore), `the stuck engine (pid ${m.pidBefore}) is still running`);
    // The fresh engine works: the model reopens and runs.
    const reopened = await native.call('open', { path: matmul });
    const run = await native.call('run', { modelId: reopened.modelId, runs: 1, warmup: 0, providers: ['cpu'], dims: { n: 64 } });
    assert.ok(run);
    await native.call('close', { modelId: reopened.modelId });
  } finally {
    native.dispose();
  }
});
