import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tfjsReader } from '../../src/formats/tfjs/reader';
import { ModelError, type Model } from '../../src/model';
import { bytesOf, tempDir, writeTfjsModel, type StoredWeight } from '../support/tfjs-fixtures';

const cleanups: (() => Promise<void>)[] = [];
after(async () => Promise.all(cleanups.map((c) => c())));

async function dir(): Promise<string> {
  const t = await tempDir('tfjs-bad-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const topology = { class_name: 'Sequential', config: { name: 's', layers: [] } };
const f32 = (name: string, n: number, start = 0): StoredWeight => ({
  name, shape: [n], dtype: 'float32', bytes: bytesOf(Float32Array.from({ length: n }, (_, i) => start + i)),
});

/** open() must reject with a one-line ModelError naming the file and matching `problem`. */
async function rejects(path: string, problem: RegExp): Promise<void> {
  await assert.rejects(tfjsReader.open(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.ok(e.message.startsWith('model.json: '), e.message);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.problem, problem);
    return true;
  });
}

async function withModel(path: string, body: (m: Model) => Promise<void>): Promise<void> {
  const m = await tfjsReader.open(path);
  try {
    await body(m);
  } finally {
    await m.dispose?.();
  }
}

const tensor = (m: Model, name: string) => m.graph.initializers.find((t) => t.name === name)!;

test('invalid JSON and JSON that is not TF.js are refused with one-line messages; match agrees', async () => {
  const d = await dir();
  const p = join(d, 'model.json');
  await writeFile(p, '{"modelTopology": {"class_name": "Sequential",');
  await rejects(p, /^is not valid JSON \(/);
  await writeFile(p, JSON.stringify({ name: 'my-package', version: '1.0.0', dependencies: {} }));
  await rejects(p, /not a TF\.js model/);
  assert.equal(tfjsReader.match(p, await readFile(p)), false);
  await writeFile(p, JSON.stringify({ modelTopology: { class_name: 'Dense', config: {} } }));
  await rejects(p, /not a Keras Sequential or functional model \(class_name "Dense"\)/);
  await writeFile(p, JSON.stringify({ modelTopology: topology, weightsManifest: { paths: [] } }));
  await rejects(p, /weightsManifest is not a list/);
  await writeFile(p, JSON.stringify({ format: 'graph-model', modelTopology: { node: [{ op: 'Relu' }] } }));
  await rejects(p, /node\[0\] needs a string "name" and "op"/);

  // match: a real model.json whose first 4 KiB is a cut-off prefix, and ordinary JSON / other names.
  const big = JSON.stringify({ format: 'layers-model', modelTopology: { ...topology, pad: 'x'.repeat(10000) }, weightsManifest: [] });
  const head = new TextEncoder().encode(big).subarray(0, 4096);
  assert.equal(tfjsReader.match(p, head), true);
  assert.equal(tfjsReader.match(join(d, 'model.onnx'), head), false);
  assert.equal(tfjsReader.match(join(d, 'tsconfig.json'), new TextEncoder().encode('{"compilerOptions": {"strict": true}}')), false);
  assert.equal(tfjsReader.match(join(d, 'data.json'), new TextEncoder().encode('[1, 2, 3]')), false);
});

/** open() must reject with a one-line ModelError that names the shard file (not the model.json). */
async function rejectsNaming(path: string, message: string): Promise<void> {
  await assert.rejects(tfjsReader.open(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.equal(e.message, message);
    return true;
  });
}

test('missing shard: the model is refused with a ModelError naming the shard', async () => {
  const d = await dir();
  // 3 weights of 16 bytes in 16-byte shards: one weight per shard.
  const { jsonPath, shards } = await writeTfjsModel(d, topology, 'layers-model', [f32('w1', 4), f32('w2', 4, 10), f32('w3', 4, 20)], { shardBytes: 16 });
  await rm(join(d, shards[1]));
  await rejectsNaming(jsonPath, 'group1-shard2of3.bin: is missing (ENOENT), but model.json lists it as a weight shard');
  await mkdir(join(d, shards[1]));
  await rejectsNaming(jsonPath, 'group1-shard2of3.bin: is not a file, but model.json lists it as a weight shard');
});

test('shard paths escaping the folder (.., absolute, symlink out) refuse the model', async () => {
  const root = await dir();
  const d = join(root, 'model');
  await mkdir(d);
  const secret = join(root, 'secret.bin');
  await writeFile(secret, new Uint8Array(16).fill(7));
  await symlink(secret, join(d, 'link.bin'));
  for (const [path, why] of [['../secret.bin', /climbs out/], [secret, /absolute/], ['link.bin', /a symlink takes it outside/]] as const) {
    const jsonPath = join(d, 'model.json');
    await writeFile(jsonPath, JSON.stringify({ modelTopology: topology, weightsManifest: [{ paths: [path], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }] }));
    await rejects(jsonPath, new RegExp(`^weight shard path ${JSON.stringify(path).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} leaves the model folder \\(.*${why.source}`));
  }
});

test('short shard: the model is refused with a ModelError naming the shard and both sizes', async () => {
  const d = await dir();
  const { jsonPath, shards } = await writeTfjsModel(d, topology, 'layers-model', [f32('a', 4), f32('b', 4)]);
  await truncate(join(d, shards[0]), 20);
  await rejectsNaming(jsonPath, 'group1-shard1of1.bin: is 20 bytes, but the weights model.json lists for it need 32 (truncated?)');
});

test('short shard among several: the cut one is named (a middle shard smaller than the first, else the last)', async () => {
  const d = await dir();
  const { jsonPath, shards } = await writeTfjsModel(d, topology, 'layers-model', [f32('w1', 4), f32('w2', 4, 10), f32('w3', 4, 20)], { shardBytes: 16 });
  await truncate(join(d, shards[1]), 10);
  await rejectsNaming(jsonPath, "group1-shard2of3.bin: is 10 bytes; the group's 3 shards hold 42, but the weights model.json lists for them need 48 (truncated?)");
  await writeTfjsModel(d, topology, 'layers-model', [f32('w1', 4), f32('w2', 4, 10), f32('w3', 4, 20)], { shardBytes: 16 });
  await truncate(join(d, shards[2]), 4);
  await rejectsNaming(jsonPath, "group1-shard3of3.bin: is 4 bytes; the group's 3 shards hold 36, but the weights model.json lists for them need 48 (truncated?)");
});

test('a string weight whose lengths run past its shard: the shard is named as short', async () => {
  const d = await dir();
  const jsonPath = join(d, 'model.json');
  // "abc", then an element claiming 10 bytes of which the shard holds 2.
  const bytes = new Uint8Array([3, 0, 0, 0, 0x61, 0x62, 0x63, 10, 0, 0, 0, 0x64, 0x65]);
  await writeFile(join(d, 'vocab.bin'), bytes);
  await writeFile(jsonPath, JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [{ paths: ['vocab.bin'], weights: [{ name: 'vocab', shape: [2], dtype: 'string' }] }] }));
  await rejectsNaming(jsonPath, 'vocab.bin: is 13 bytes, but the weights model.json lists for it need 21 (truncated?)');
});

test('absurd and negative shapes: a problem, no allocation, and later offsets are not guessed', async () => {
  const d = await dir();
  const jsonPath = join(d, 'model.json');
  await writeFile(join(d, 'w.bin'), new Uint8Array(64));
  const weights = [
    { name: 'ok', shape: [2], dtype: 'float32' },
    { name: 'huge', shape: [2 ** 21, 2 ** 21], dtype: 'float32' },
    { name: 'after', shape: [2], dtype: 'float32' },
  ];
  await writeFile(jsonPath, JSON.stringify({ modelTopology: topology, weightsManifest: [
    { paths: ['w.bin'], weights },
    { paths: ['w.bin'], weights: [{ name: 'badtype', shape: [1], dtype: 'float99' }, { name: 'neg', shape: [-1, 3], dtype: 'float32' }] },
  ] }));
  await withModel(jsonPath, async (m) => {
    assert.ok(tensor(m, 'ok').data);
    assert.match(tensor(m, 'huge').problem ?? '', /has 4398046511104 elements \(over 2\^40\); not read/);
    assert.equal(tensor(m, 'huge').elementCount, 0);
    assert.match(tensor(m, 'after').problem ?? '', /follows huge, whose size is unknown/);
    assert.match(tensor(m, 'neg').problem ?? '', /not a list of non-negative integers/);
    assert.equal(tensor(m, 'badtype').problem, 'dtype "float99" is not a TF.js weight dtype');
  });
});

test('shards open lazily on first read and dispose closes them', async () => {
  const d = await dir();
  const { jsonPath } = await writeTfjsModel(d, topology, 'layers-model', [f32('a', 6), f32('b', 6, 6)], { shardBytes: 16 });
  // The process's descriptors open on this model's shard files (others come and go with the test runner and tsx).
  const fds = async () => {
    const targets = await Promise.all((await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
    return targets.filter((t) => t.startsWith(`${d}/`) && t.endsWith('.bin')).length;
  };
  const m = await tfjsReader.open(jsonPath);
  assert.equal(await fds(), 0, 'opening reads no shard');
  const b = tensor(m, 'b');
  // b = bytes [24, 48): shard 2 ([16, 32)) and shard 3 ([32, 48)).
  assert.deepEqual(new Float32Array((await b.data!.read(0, 24)).buffer), Float32Array.from([6, 7, 8, 9, 10, 11]));
  assert.equal(await fds(), 2);
  await m.dispose!();
  assert.equal(await fds(), 0);
  await assert.rejects(b.data!.read(0, 4), /model was closed/);
});
