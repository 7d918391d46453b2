// The SavedModel reader through the bundled CLI, on a SavedModel written by Google's protobuf runtime and a tensor
// bundle written by an independent LevelDB-table writer (test/fixtures/savedmodel/make.py), against the truth the
// generator computed with numpy; and on broken copies of it, each of which must fail with `<file>: <problem>`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, removeBuild } from '../support/build-engine';

const FIXTURES = join(__dirname, '../fixtures/savedmodel');
/** The TF2 fixture, which the broken copies start from. */
const FIXTURE = join(FIXTURES, 'dense');
interface Truth {
  format: string;
  producer: { name: string; version: string };
  tags: string[];
  signatures: Record<string, string>;
  schemaVersion: number;
  nodeCount: number;
  nodeOps: string[];
  inputs: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string)[] }[];
  weights: { name: string; dtype: string; shape: number[]; node: string | null; histogram?: { edges: number[]; counts: number[]; nearEdge: number[]; min: number; max: number; count: number; mean: number; zeros: number } }[];
  parameterCount: number;
  bins: number;
  edges: [string, string][];
  inputConsumers: Record<string, string[]>;
  dataFiles?: number;
}
const truths = JSON.parse(readFileSync(join(FIXTURES, 'truth.json'), 'utf8')) as Record<string, Truth>;

let cli: string;
let tmp: string;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}
const run = (...args: string[]): Ran => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |Error: .*\n.*\.(js|ts):\d+/, 'no stack trace');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

before(async () => {
  cli = await buildCli();
  tmp = mkdtempSync(join(tmpdir(), 'mi-savedmodel-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeBuild(cli);
});

/** A fresh copy of the fixture folder to break. */
function copy(name: string): string {
  const dir = join(tmp, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

for (const [fixture, truth] of Object.entries(truths)) for (const target of ['folder', 'saved_model.pb']) {
  test(`inspect --json on the ${fixture} ${target} equals the generator's truth`, () => {
    const dir = join(FIXTURES, fixture);
    const r = run('inspect', target === 'folder' ? dir : join(dir, 'saved_model.pb'), '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const got = JSON.parse(r.stdout);
    assert.equal(got.format, truth.format);
    // The folder's size on disk would be its directory entry (4096): the model file is saved_model.pb.
    assert.equal(got.fileBytes, statSync(join(dir, 'saved_model.pb')).size);
    assert.deepEqual(got.producer, truth.producer);
    assert.equal(got.nodeCount, truth.nodeCount);
    // Parameters are what the serving graph reads (a weight with a reading node); the counter is counted apart.
    const read = truth.weights.filter((w) => w.node !== null);
    assert.equal(got.parameterCount, read.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0));
    assert.equal(got.otherTensors.counter.count, truth.weights.length - read.length);
    assert.deepEqual(got.inputs, truth.inputs);
    assert.deepEqual(got.outputs, truth.outputs);
    const ops: string[] = Object.entries(got.opTypeCounts as Record<string, number>).flatMap(([op, n]) => Array<string>(n).fill(op));
    assert.deepEqual(ops.sort(), truth.nodeOps);
    assert.equal(got.weightCount, read.length);
    assert.equal(got.metadata.tags, truth.tags.join(', '));
    assert.equal(got.metadata.saved_model_schema_version, String(truth.schemaVersion));
    for (const [name, method] of Object.entries(truth.signatures)) {
      assert.ok(got.metadata.signatures.split(', ').includes(method ? `${name} (${method})` : name), got.metadata.signatures);
    }
    assert.deepEqual(got.opsets, []);
    assert.equal(got.dataFiles.count, truth.dataFiles ?? 1);
  });
}

for (const [fixture, truth] of Object.entries(truths)) test(`stats --json on ${fixture}: every checkpoint variable with its dtype and shape, histograms equal numpy's on the same edges`, () => {
  const r = run('stats', join(FIXTURES, fixture), '--json', '--bins', String(truth.bins));
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { tensors: { name: string; dtype: string; shape: number[]; count: number; min: number; max: number; mean: number; zeros: number; consumers?: string[]; histogram: { edges: number[]; counts: number[] } }[] };
  const byName = new Map(got.tensors.map((t) => [t.name, t]));
  for (const w of truth.weights) {
    const t = byName.get(w.name);
    assert.ok(t, `${w.name} missing from stats`);
    assert.equal(t.dtype, w.dtype);
    assert.deepEqual(t.shape, w.shape);
    if (w.node) assert.deepEqual(t.consumers, [w.node], `${w.name} feeds ${w.node}`);
    const h = w.histogram;
    if (!h) continue;
    assert.equal(t.count, h.count);
    assert.equal(t.min, h.min);
    assert.equal(t.max, h.max);
    assert.ok(Math.abs(t.mean - h.mean) <= 1e-9 * Math.max(1, Math.abs(h.mean)), `${w.name} mean ${t.mean} vs ${h.mean}`);
    assert.equal(t.zeros, h.zeros);
    assert.deepEqual(t.histogram.edges, h.edges);
    assert.equal(t.histogram.counts.reduce((a, b) => a + b, 0), h.count);
    // Stats bins through fine (2^-7 relative) bins: a value that close to an edge may land on either side of it.
    for (let i = 0; i < h.counts.length; i++) {
      const diff = Math.abs(t.histogram.counts[i] - h.counts[i]);
      assert.ok(diff <= h.nearEdge[i] + h.nearEdge[i + 1], `${w.name} bin ${i}: ${t.histogram.counts[i]} vs numpy ${h.counts[i]}`);
    }
  }
});

const broken: { name: string; breakIt: (dir: string) => void; error: RegExp }[] = [
  {
    name: 'truncated saved_model.pb',
    breakIt: (dir) => {
      const pb = join(dir, 'saved_model.pb');
      writeFileSync(pb, readFileSync(pb).subarray(0, 1000));
    },
    error: /^saved_model\.pb: is not a valid SavedModel \(truncated or corrupt protobuf/,
  },
  {
    name: 'missing variables.index',
    breakIt: (dir) => unlinkSync(join(dir, 'variables/variables.index')),
    error: /^variables\.index: is missing: saved_model\.pb's graph has variables/,
  },
  {
    name: 'index pointing past the data shard\'s end',
    breakIt: (dir) => truncateSync(join(dir, 'variables/variables.data-00000-of-00001'), 300),
    error: /^variables\.data-00000-of-00001: layer_with_weights-0\/bias\/\.ATTRIBUTES\/VARIABLE_VALUE: bytes \[512, 544\) are beyond the end of the file \(300 bytes\)$/,
  },
  {
    name: 'bad SSTable magic',
    breakIt: (dir) => {
      const p = join(dir, 'variables/variables.index');
      const b = readFileSync(p);
      b[b.length - 1] ^= 0xff;
      writeFileSync(p, b);
    },
    error: /^variables\.index: is not a checkpoint index: the LevelDB table magic number at its end is wrong/,
  },
  {
    name: 'a corrupt index block',
    breakIt: (dir) => {
      const p = join(dir, 'variables/variables.index');
      const b = readFileSync(p);
      b[20] ^= 0x01;
      writeFileSync(p, b);
    },
    error: /^variables\.index: data block 0 at byte 0 fails its CRC-32C check/,
  },
  {
    name: 'missing data shard',
    breakIt: (dir) => unlinkSync(join(dir, 'variables/variables.data-00000-of-00001')),
    error: /^variables\.data-00000-of-00001: is missing \(variables\/variables\.index keeps tensors/,
  },
  {
    name: 'data shard linked from outside the folder',
    breakIt: (dir) => {
      const shard = join(dir, 'variables/variables.data-00000-of-00001');
      const outside = join(tmp, `outside-${Date.now()}.bin`);
      cpSync(shard, outside);
      unlinkSync(shard);
      symlinkSync(outside, shard);
    },
    error: /^saved_model\.pb: checkpoint data shard "variables\/variables\.data-00000-of-00001" leaves the model folder \(a symlink takes it outside/,
  },
];

for (const b of broken) {
  test(`broken SavedModel (${b.name}): exit 1 and {"error": "<file>: <problem>"}`, () => {
    const dir = copy(b.name.replace(/\W+/g, '-'));
    b.breakIt(dir);
    for (const target of [dir, join(dir, 'saved_model.pb')]) {
      const r = run('inspect', target, '--json');
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const msg = JSON.parse(r.stdout).error as string;
      assert.match(msg, b.error);
      assert.equal(msg.split('\n').length, 1);
    }
  });
}
