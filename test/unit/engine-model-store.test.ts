// The engine's model cache, in-process, over the real ONNX reader.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, type ModelOpener } from '../../src/engine/model-store';
import { openModelChecked } from '../../src/engine/open';
import type { RpcError } from '../../src/protocol/wire';

const data = '/usr/share/libonnx-testdata/data';
const conv = `${data}/pytorch-converted/test_Conv2d/model.onnx`;
const add = `${data}/node/test_add/model.onnx`;

let tmp: string;
before(() => (tmp = mkdtempSync(join(tmpdir(), 'mi-store-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The real opener, counting parses and optionally held at a gate so tests can interleave opens and cancels. */
function countingOpener(gate?: Promise<void>) {
  const calls: string[] = [];
  const seenSignals: AbortSignal[] = [];
  const opener: ModelOpener = async (path, signal) => {
    calls.push(path);
    seenSignals.push(signal);
    await gate;
    return openModelChecked(path, signal);
  };
  return { opener, calls, seenSignals };
}

test('ids of the same file revision share one parse and its resources; the last close disposes them', async () => {
  const { opener, calls } = countingOpener();
  const store = new ModelStore(opener);
  const [a, b] = await Promise.all([store.open(conv), store.open(conv)]);
  assert.notEqual(a.modelId, b.modelId);
  assert.equal(calls.length, 1, 'concurrent opens of one revision parse once');
  assert.equal(store.get(a.modelId), store.get(b.modelId));
  assert.equal(store.revisionCount, 1);
  assert.equal(store.openCount, 2);

  let created = 0;
  const disposed: string[] = [];
  const make = () => store.resource(a.modelId, 'session', (m) => ({ graph: m.graph.name, n: ++created }), (v) => void disposed.push(`session ${v.n}`));
  const r1 = await make();
  const r2 = await store.resource(b.modelId, 'session', () => ({ graph: 'other', n: ++created }));
  assert.equal(r2, r1, 'shared by every id of the revision');
  assert.equal(created, 1);

  await store.close(a.modelId);
  assert.deepEqual(disposed, []);
  assert.throws(() => store.get(a.modelId), (e: RpcError) => e.code === 'bad-request' && /unknown model/.test(e.message));
  assert.ok(store.get(b.modelId));
  await store.close(b.modelId);
  assert.deepEqual(disposed, ['session 1']);
  assert.equal(store.revisionCount, 0);
  await store.close(b.modelId); // harmless

  // Opening again after the last close parses again.
  const c = await store.open(conv);
  assert.equal(calls.length, 2);
  await store.close(c.modelId);
});

test('a changed file is a new revision; the old one stays valid for its users', async () => {
  const path = join(tmp, 'm.onnx');
  copyFileSync(conv, path);
  const store = new ModelStore();
  const first = await store.open(path);
  assert.deepEqual(first.summary.opTypeCounts, { Conv: 1 });
  copyFileSync(add, path);
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const second = await store.open(path);
  assert.deepEqual(second.summary.opTypeCounts, { Add: 1 });
  assert.equal(store.revisionCount, 2);
  assert.equal(store.get(first.modelId).graph.nodes[0].opType, 'Conv');
  await store.closeAll();
  assert.equal(store.revisionCount, 0);
  assert.equal(store.openCount, 0);
});

test('a cancelled open aborts the parse only when no other caller still waits for it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { opener, seenSignals } = countingOpener(gate);
  const store = new ModelStore(opener);

  const ac1 = new AbortController();
  const p1 = store.open(conv, ac1.signal);
  const p2 = store.open(conv);
  // Wait until both have stat'ed the file and joined the one parse (the store's count of its waiters: a stat can take
  // any time on a loaded machine, so no fixed delay).
  const inflight = (store as unknown as { inflight: Map<string, { waiters: number }> }).inflight;
  while ([...inflight.values()].reduce((n, j) => n + j.waiters, 0) < 2) await new Promise((r) => setTimeout(r, 5));
  assert.equal(seenSignals.length, 1);
  ac1.abort();
  await assert.rejects(p1, (e: RpcError) => e.code === 'cancelled');
  assert.equal(seenSignals[0].aborted, false, 'the second caller still wants the parse');
  release();
  const ok = await p2;
  assert.equal(ok.summary.nodeCount, 1);
  assert.equal(store.openCount, 1);

  // Alone, a cancel aborts the parse itself and nothing is cached.
  const gate2 = new Promise<void>(() => {});
  const alone = countingOpener(gate2);
  const store2 = new ModelStore(alone.opener);
  const ac = new AbortController();
  const p = store2.open(add, ac.signal);
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await assert.rejects(p, (e: RpcError) => e.code === 'cancelled');
  assert.equal(alone.seenSignals[0].aborted, true);
  assert.equal(store2.revisionCount, 0);
  // A newcomer does not inherit the abandoned parse.
  const late = new ModelStore(countingOpener().opener);
  const acLate = new AbortController();
  const abandoned = assert.rejects(late.open(add, acLate.signal), (e: RpcError) => e.code === 'cancelled');
  acLate.abort();
  const fresh = await late.open(add);
  await abandoned;
  assert.equal(fresh.summary.nodeCount, 1);
  await late.closeAll();
  await store.closeAll();
});

test('a failed resource is not cached; unknown ids and bad files fail with one-line errors', async () => {
  const store = new ModelStore();
  const { modelId } = await store.open(add);
  await assert.rejects(store.resource(modelId, 'x', () => Promise.reject(new Error('no backend'))), /no backend/);
  assert.equal(await store.resource(modelId, 'x', () => 42), 42);
  await assert.rejects(store.resource('m0.1', 'x', () => 1), (e: RpcError) => e.code === 'bad-request');
  await assert.rejects(store.open(join(tmp, 'nope.onnx')), /^Error: nope\.onnx: cannot be read \(ENOENT\)$|nope\.onnx: cannot be read \(ENOENT\)/);
  await assert.rejects(store.open(tmp), /is a folder, not a model file/);
  assert.equal(store.revisionCount, 1);
  await store.closeAll();
});

test('a resource whose creating request is cancelled is forgotten at once: the next request creates it afresh', async () => {
  const store = new ModelStore();
  const { modelId } = await store.open(conv);
  // The first pass winds down slowly after its cancel (as a stats pass waits for its workers' last chunks).
  let finishFirst!: (v: string) => void;
  const creates: string[] = [];
  const ac = new AbortController();
  const first = store.resource(modelId, 'slow', () => {
    creates.push('first');
    return new Promise<string>((r) => (finishFirst = r));
  }, undefined, ac.signal);
  await new Promise((r) => setImmediate(r));
  ac.abort();
  const second = await store.resource(modelId, 'slow', () => {
    creates.push('second');
    return 'fresh';
  });
  assert.equal(second, 'fresh', 'the request after the cancel got its own pass');
  assert.deepEqual(creates, ['first', 'second']);
  finishFirst('stale');
  assert.equal(await first, 'stale');
  await store.closeAll();
});
