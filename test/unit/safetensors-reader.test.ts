// SafeTensors through the bundled CLI, against truth.json written by torch/numpy (test/fixtures/safetensors/make.py),
// and broken files made by the test's own writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { exactHistograms } from '../../src/stats';
import { useCliBundle } from '../support/cli-bundle';
import { bytesReadSoFar } from '../support/proc-watch';
import { safetensorsBytes } from '../support/safetensors-writer';

const FIX = join(__dirname, '../fixtures/safetensors');
const SINGLE = join(FIX, 'tiny.safetensors');
const INDEX = join(FIX, 'sharded/model.safetensors.index.json');
interface TruthTensor { dtype: string; shape: number[]; count: number; min: number; max: number; mean: number; edges: number[]; counts: number[] }
const truth = JSON.parse(readFileSync(join(FIX, 'truth.json'), 'utf8')) as { parameterCount: number; metadata: Record<string, string>; tensors: Record<string, TruthTensor> };
const IR: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32' };

let cli: string;
let tmp: string;
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

useCliBundle('mi-st-', (b) => ({ cli, tmp } = b));

test('inspect --json on the torch-made file and on its sharded copy equals the truth', () => {
  for (const path of [SINGLE, INDEX]) {
    const r = run('inspect', path, '--json');
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.format, 'safetensors');
    // BatchNorm's num_batches_tracked is a counter, counted apart from the parameters.
    assert.deepEqual(got.otherTensors, { counter: { count: 1, elements: 1, bytes: 8 } });
    assert.equal(got.weightCount, Object.keys(truth.tensors).length - 1);
    assert.equal(got.parameterCount, truth.parameterCount - 1);
    assert.equal(got.nodeCount, 0);
    assert.deepEqual(got.inputs, []);
    assert.deepEqual(got.outputs, []);
    assert.deepEqual(got.warnings, []);
    assert.equal(got.fileBytes, statSync(path).size);
    if (path === SINGLE) {
      assert.deepEqual(got.metadata, truth.metadata);
      assert.equal(got.dataFiles, undefined);
    } else {
      const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].map((f) => statSync(join(FIX, 'sharded', f)).size);
      assert.deepEqual(got.dataFiles, { count: 2, bytes: shards[0] + shards[1] });
      const index = JSON.parse(readFileSync(INDEX, 'utf8'));
      assert.equal(got.metadata.total_size, String(index.metadata.total_size));
      assert.equal(got.parameterBytes + got.otherTensors.counter.bytes, index.metadata.total_size);
    }
  }
});

test('stats --json: dtypes, shapes, counts, min/max and histograms equal numpy on the same edges', () => {
  for (const path of [SINGLE, INDEX]) {
    const r = run('stats', path, '--json', '--bins', '16');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tensors: (Record<string, unknown> & { histogram: { edges: number[]; counts: number[] } })[] };
    assert.equal(out.tensors.length, Object.keys(truth.tensors).length);
    for (const t of out.tensors) {
      const w = truth.tensors[t.name as string];
      assert.ok(w, `${t.name} is not in the truth`);
      assert.equal(t.dtype, IR[w.dtype]);
      assert.deepEqual(t.shape, w.shape);
      assert.equal(t.count, w.count);
      assert.equal(t.min, w.min);
      assert.equal(t.max, w.max);
      assert.ok(Math.abs((t.mean as number) - w.mean) <= 1e-9 * Math.max(1, Math.abs(w.mean)), `${t.name} mean`);
      // The summary histogram comes from fine bins (2^-7 relative): its edges are numpy's, its counts equal
      // numpy's except for values that sit within a fine bin of an edge.
      assert.deepEqual(t.histogram.edges, w.edges);
      assert.equal(t.histogram.counts.reduce((a, b) => a + b, 0), w.count);
    }
  }
});

test('exact histograms of every tensor equal numpy.histogram on the same edges', async () => {
  const model = await openModel(SINGLE);
  try {
    for (const [name, w] of Object.entries(truth.tensors)) {
      const [h] = await exactHistograms(model, { tensors: [name], bins: w.edges.length - 1, symmetric: false, raw: false });
      assert.deepEqual(h.histogram.edges, w.edges, name);
      assert.deepEqual(h.histogram.counts, w.counts, name);
    }
  } finally {
    await model.dispose?.();
  }
});

test('opening reads the header only: a 40 GB (sparse) file opens at once', async () => {
  // 10 tensors of 1 G float32 each, declared in a header whose data area is a hole in the file.
  const header: Record<string, unknown> = {};
  const each = 4 * 2 ** 30;
  for (let i = 0; i < 10; i++) header[`w${i}`] = { dtype: 'F32', shape: [2 ** 15, 2 ** 15], data_offsets: [i * each, (i + 1) * each] };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  const p = join(tmp, 'huge.safetensors');
  writeFileSync(p, head);
  truncateSync(p, head.length + 10 * each);
  const r = run('inspect', p, '--json');
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.parameterCount, 10 * 2 ** 30);
  assert.equal(got.parameterBytes, 10 * each);
  // The same open in this process, counting the bytes it reads (not the time, which a loaded machine stretches).
  const before = bytesReadSoFar();
  const m = await openModel(p);
  await m.dispose?.();
  const read = bytesReadSoFar() - before;
  assert.ok(read < 64 * 2 ** 20, `opening read ${read} bytes of a 40 GB file`);
});

test('an unknown dtype gives that tensor a problem, not a failure', () => {
  const p = join(tmp, 'odd.safetensors');
  writeFileSync(p, safetensorsBytes([
    { name: 'a', dtype: 'F32', shape: [2], bytes: new Uint8Array(new Float32Array([1, 2]).buffer) },
    { name: 'b', dtype: 'F4_E2M1', shape: [4], bytes: new Uint8Array(2) },
  ]));
  const i = run('inspect', p, '--json');
  assert.equal(i.status, 0, i.stderr);
  assert.equal(JSON.parse(i.stdout).weightCount, 2);
  const s = JSON.parse(run('stats', p, '--json').stdout) as { tensors: { name: string; problem?: string; max: number }[] };
  assert.match(s.tensors.find((t) => t.name === 'b')!.problem!, /F4_E2M1 is not supported/);
  assert.equal(s.tensors.find((t) => t.name === 'a')!.max, 2);
});

test('broken files and escaping shards: exit 1 with "<file>: <problem>", before any shard is read', () => {
  const good = safetensorsBytes([{ name: 'w', dtype: 'F32', shape: [4], bytes: new Uint8Array(16) }]);
  const headerLen = Number(new DataView(good.buffer).getBigUint64(0, true));
  const cases: [string, Uint8Array | string, RegExp][] = [];
  cases.push(['truncated-header.safetensors', good.subarray(0, 8 + Math.floor(headerLen / 2)), /header length \d+ runs past the end of the file/]);
  const absurd = good.slice();
  new DataView(absurd.buffer).setBigUint64(0, 1n << 40n, true);
  cases.push(['absurd-length.safetensors', absurd, /header length \d+ is over the 100 MB/]);
  cases.push(['short.safetensors', good.subarray(0, 5), /too short for a SafeTensors header/]);
  cases.push(['truncated-data.safetensors', good.subarray(0, good.length - 4), /data_offsets \[0, 16\] run past the end of the data/]);
  const text = new TextDecoder().decode(good.subarray(8, 8 + headerLen));
  const swap = (json: string) => {
    const h = new TextEncoder().encode(json.padEnd(headerLen));
    const out = good.slice();
    out.set(h.subarray(0, headerLen), 8);
    return out;
  };
  cases.push(['bad-size.safetensors', swap(text.replace('[4]', '[5]')), /holds 16 bytes, but F32 \[5\] needs 20/]);
  cases.push(['not-json.safetensors', swap(text.replace('{"w"', '["w"')), /header is not valid JSON/]);
  cases.push(['neg-shape.safetensors', swap(text.replace('[4]', '[-4]')), /shape \[-4\] is not a list of non-negative integers/]);
  for (const [name, bytes, problem] of cases) {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    check(p, problem);
  }
  // Index cases: shards outside the folder (relative, absolute, through a link), a missing shard.
  const outside = join(tmp, 'outside.safetensors');
  writeFileSync(outside, good);
  const dir = join(tmp, 'ckpt');
  mkdirSync(dir);
  symlinkSync(outside, join(dir, 'link.safetensors'));
  for (const [shard, problem] of [
    ['../outside.safetensors', /shard path "\.\.\/outside\.safetensors" leaves the model folder \(it climbs out with '\.\.'\)/],
    [outside, /leaves the model folder \(it is absolute\)/],
    ['link.safetensors', /shard path "link\.safetensors" leaves the model folder \(a symlink takes it outside the folder\)/],
    ['model-00009-of-00009.safetensors', /shard file "model-00009-of-00009\.safetensors" is missing/],
  ] as const) {
    const p = join(dir, 'model.safetensors.index.json');
    writeFileSync(p, JSON.stringify({ metadata: {}, weight_map: { w: shard } }));
    check(p, problem);
  }
});

function check(path: string, problem: RegExp): void {
  const r = run('inspect', path, '--json');
  assert.equal(r.status, 1, `${path}: ${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  const { error } = JSON.parse(r.stdout) as { error: string };
  assert.ok(error.startsWith(`${basename(path)}: `), error);
  assert.match(error, problem);
}
