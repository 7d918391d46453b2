// The engine as the host sees it: a real forked process (bundled with esbuild), real readers, real crashes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { version } from '../../package.json';
import { buildEngine, removeBuild } from '../support/build-engine';

const data = '/usr/share/libonnx-testdata/data';
const conv = `${data}/pytorch-converted/test_Conv2d/model.onnx`;
const ifModel = `${data}/node/test_if/model.onnx`;
const hooks = { MODEL_INSPECTOR_TEST_HOOKS: '1' };

let enginePath: string;
let tmp: string;
const clients: EngineClient[] = [];
const client = (opts: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) => {
  const c = new EngineClient({ enginePath, env: hooks, ...opts });
  clients.push(c);
  return c;
};
const code = (want: string, re?: RegExp) => (e: Error & { code?: string }) => {
  assert.equal(e.code, want, `expected ${want}, got ${e.code}: ${e.message}`);
  if (re) assert.match(e.message, re);
  return true;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const waitFor = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

before(async () => {
  enginePath = await buildEngine();
  tmp = mkdtempSync(join(tmpdir(), 'mi-engine-'));
});
after(() => {
  for (const c of clients) c.dispose();
  rmSync(tmp, { recursive: true, force: true });
  removeBuild(enginePath);
});

test('handshake, ping, open and close a conformance model; the summary equals the in-process one', async () => {
  const c = client();
  const info = await c.start();
  assert.equal(info.version, version);
  assert.equal(info.pid, c.pid);
  assert.notEqual(info.pid, process.pid);
  // Only the heap limit is passed: the host's own flags (here: the test runner's --import tsx) are not inherited.
  const argv = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0');
  const heap = argv.find((a) => a.startsWith('--max-old-space-size='));
  assert.ok(heap && Number(heap.split('=')[1]) >= 2048, argv.join(' '));
  assert.ok(process.execArgv.includes('tsx') && !argv.includes('tsx'), argv.join(' '));
  const ping = await c.call('ping', {});
  assert.equal(ping.pid, info.pid);
  assert.ok(ping.rssBytes > 1e6);

  for (const path of [conv, ifModel, join(__dirname, '../../examples/tiny-mlp-tfjs/model.json')]) {
    const local = await openModel(path);
    const { size } = await import('node:fs').then((fs) => fs.statSync(path));
    const expected = summarize(local, size);
    await local.dispose?.();
    const a = await c.call('open', { path });
    assert.deepEqual(a.summary, expected);
    assert.ok(a.summary.nodeCount > 0);
    // Same revision opened again: its own id, same parse.
    const b = await c.call('open', { path });
    assert.notEqual(a.modelId, b.modelId);
    assert.deepEqual(b.summary, expected);
    await c.call('close', { modelId: a.modelId });
    await c.call('close', { modelId: b.modelId });
    // Closing twice (or an id from before a restart) is harmless.
    await c.call('close', { modelId: b.modelId });
  }
});

test('bad files fail the call with the reader\'s one-line message, and the engine keeps serving', async () => {
  const c = client();
  const random = join(tmp, 'random.onnx');
  writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
  const empty = join(tmp, 'empty.onnx');
  writeFileSync(empty, '');
  for (const [path, re] of [
    [join(tmp, 'missing.onnx'), /^missing\.onnx: .*ENOENT/],
    [empty, /^empty\.onnx: is empty/],
    [random, /^random\.onnx: /],
    [tmp, /is a folder, not a model file/],
  ] as const) {
    await assert.rejects(c.call('open', { path }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'failed');
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /\n|\bat .+:\d+:\d+\)?$/);
      return true;
    });
  }
  assert.equal((await c.call('ping', {})).pid, c.pid);
});

// The handler would sleep 30 s: it must stop at the cancel, long before that. (A bound in wall time with a margin a
// loaded machine cannot eat: the log line crosses two processes, which can take a second or two there.)
test('cancelling a slow request reaches the engine handler, which stops long before its job would end', async () => {
  const c = client();
  await c.start();
  const logs: { at: number; message: string }[] = [];
  c.onLog((l) => logs.push({ at: performance.now(), message: l.message }));
  const ac = new AbortController();
  const p = c.call('sleepForTest', { ms: 30_000 }, { signal: ac.signal });
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  ac.abort();
  await assert.rejects(p, code('cancelled'));
  const callerMs = performance.now() - t0;
  await waitFor(() => logs.some((l) => /sleepForTest cancelled/.test(l.message)), 15_000);
  const engineMs = logs.find((l) => /sleepForTest cancelled/.test(l.message))!.at - t0;
  console.log(`cancel: caller rejected after ${callerMs.toFixed(1)} ms, engine handler stopped after ${engineMs.toFixed(1)} ms`);
  // A call timeout cancels the same way.
  await assert.rejects(c.call('sleepForTest', { ms: 30_000 }, { timeoutMs: 150 }), code('timeout'));
  assert.equal(await c.call('sleepForTest', { ms: 5 }), 'done');
});

test('a crash mid-call rejects pending calls with "crashed", fires onCrash, and the next call restarts the engine', async () => {
  const c = client();
  const first = await c.start();
  const crashes: string[] = [];
  let crashedAt = 0;
  c.onCrash((r) => {
    crashes.push(r);
    crashedAt = performance.now();
  });
  const opened = await c.call('open', { path: conv });
  const slow = c.call('sleepForTest', { ms: 30_000 });
  const crash = c.call('crashForTest', { afterMs: 50 });
  await assert.rejects(slow, code('crashed', /SIGKILL/));
  await assert.rejects(crash, code('crashed'));
  assert.deepEqual(crashes.length, 1);
  assert.match(crashes[0], /killed by SIGKILL/);
  assert.equal(alive(first.pid), false);

  const t0 = performance.now();
  const ping = await c.call('ping', {});
  const restartMs = performance.now() - t0;
  console.log(`restart: first call after the crash answered in ${restartMs.toFixed(0)} ms (crash detected → answer ${(performance.now() - crashedAt).toFixed(0)} ms)`);
  assert.notEqual(ping.pid, first.pid);
  assert.equal(ping.pid, c.pid);
  // Models die with their process: reopen works, the old id is simply unknown.
  await c.call('close', { modelId: opened.modelId });
  const again = await c.call('open', { path: conv });
  assert.notEqual(again.modelId, opened.modelId);
});

test('uncaught exceptions and unhandled rejections are logged and the engine keeps running', async () => {
  const c = client();
  const { pid } = await c.start();
  const logs: string[] = [];
  c.onLog((l) => logs.push(`${l.level}: ${l.message}`));
  let crashed = false;
  c.onCrash(() => (crashed = true));
  await c.call('crashForTest', { how: 'throw' });
  await c.call('crashForTest', { how: 'reject' });
  await waitFor(() => logs.some((l) => /^error: uncaught exception: Error: crashForTest/.test(l)) && logs.some((l) => /^error: unhandled rejection: Error: crashForTest/.test(l)));
  assert.equal((await c.call('ping', {})).pid, pid);
  assert.equal(crashed, false);
});

test('an abort() (native crash) is a crash like SIGKILL', async () => {
  const c = client();
  const reasons: string[] = [];
  c.onCrash((r) => reasons.push(r));
  await assert.rejects(c.call('crashForTest', { how: 'abort' }), code('crashed', /SIGABRT/));
  assert.equal(reasons.length, 1);
  assert.ok((await c.call('ping', {})).pid > 0);
});

test('repeated crashes stop the restarts until restart() is called', async () => {
  const c = client({ maxCrashes: 2, crashWindowMs: 60_000 });
  let crashes = 0;
  c.onCrash(() => crashes++);
  for (let i = 0; i < 3; i++) await assert.rejects(c.call('crashForTest', {}), code('crashed'));
  assert.equal(crashes, 3);
  assert.equal(c.isDown, true);
  await assert.rejects(c.call('ping', {}), code('crashed', /crashed 3 times.*restart/));
  assert.equal(c.pid, undefined);
  const info = await c.restart();
  assert.equal(c.isDown, false);
  assert.equal((await c.call('ping', {})).pid, info.pid);
  // restart() while a start is still in progress abandons that start and brings up one fresh engine.
  const abandoned = assert.rejects(c.restart(), code('cancelled', /abandoned/));
  const fresh = await c.restart();
  await abandoned;
  assert.equal((await c.call('ping', {})).pid, fresh.pid);
  await waitFor(() => !alive(info.pid));
});

test('test hooks are refused without MODEL_INSPECTOR_TEST_HOOKS=1', async () => {
  const c = client({ env: { MODEL_INSPECTOR_TEST_HOOKS: undefined }, maxOldSpaceMb: 1234 });
  assert.ok(readFileSync(`/proc/${(await c.start()).pid}/cmdline`, 'utf8').includes('--max-old-space-size=1234'));
  await assert.rejects(c.call('crashForTest', {}), code('bad-request', /MODEL_INSPECTOR_TEST_HOOKS/));
  await assert.rejects(c.call('sleepForTest', { ms: 1 }), code('bad-request'));
  assert.ok((await c.call('ping', {})).pid > 0);
});

test('dispose kills the engine, is not a crash, and later calls reject instead of throwing', async () => {
  const c = client();
  const { pid } = await c.start();
  let crashed = false;
  c.onCrash(() => (crashed = true));
  const pending = c.call('sleepForTest', { ms: 30_000 });
  await new Promise((r) => setTimeout(r, 50)); // let the job start inside the engine
  c.dispose();
  await assert.rejects(pending, code('disposed'));
  await waitFor(() => !alive(pid));
  assert.equal(crashed, false);
  await assert.rejects(c.call('ping', {}), code('disposed'));
});

test('an engine that cannot start, or never says ready, rejects instead of hanging', async () => {
  const missing = client({ enginePath: join(tmp, 'no-such-engine.js') });
  const logs: string[] = [];
  missing.onLog((l) => logs.push(l.message));
  await assert.rejects(missing.start(), code('crashed', /exited with code 1 while starting/));
  await waitFor(() => logs.some((l) => /Cannot find module/.test(l))); // the engine's stderr reaches onLog

  const mute = join(tmp, 'mute.js');
  writeFileSync(mute, 'setInterval(() => {}, 1000);\n');
  const c = client({ enginePath: mute, readyTimeoutMs: 300 });
  // Rejected by the client's own ready timeout (its message says so); without it the call would wait forever.
  await assert.rejects(c.call('ping', {}), code('timeout', /did not start within 300 ms/));
  assert.equal(c.pid, undefined);
  // Hung starts count like crashes: after maxCrashes of them the client stops trying.
  const hung = client({ enginePath: mute, readyTimeoutMs: 100, maxCrashes: 1 });
  await assert.rejects(hung.start(), code('timeout'));
  await assert.rejects(hung.start(), code('timeout'));
  assert.equal(hung.isDown, true);
  await assert.rejects(hung.call('ping', {}), code('crashed', /restart it/));
});

test('the engine exits on its own when the host process dies', async () => {
  // A stand-in host: forks the engine, prints its pid once ready, then is SIGKILLed (no chance to clean up).
  const script = `const c = require('child_process').fork(${JSON.stringify(enginePath)}, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    c.on('message', (m) => { if (m && m.t === 'ready') process.stdout.write(String(c.pid) + '\\n'); });`;
  const host = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const enginePid = await new Promise<number>((resolve, reject) => {
    host.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    host.once('exit', () => reject(new Error('stand-in host exited early')));
  });
  assert.ok(alive(enginePid));
  host.kill('SIGKILL');
  await waitFor(() => !alive(enginePid), 5000);
});
