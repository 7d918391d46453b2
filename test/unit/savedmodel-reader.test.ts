// The SavedModel reader in-process: graph wiring against the generator's truth (edges, weights feeding their
// ReadVariableOp, "name:1" outputs), the checkpoint table's checksums and compression refusal, contained paths,
// and hostile mutations of the fixture files (always a ModelError, never another exception).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { crc32c, maskCrc } from '../../src/formats/savedmodel/crc32c';
import { readSavedModelSignatures, savedModelReader } from '../../src/formats/savedmodel/reader';

const FIXTURES = join(__dirname, '../fixtures/savedmodel');
const truths = JSON.parse(readFileSync(join(FIXTURES, 'truth.json'), 'utf8')) as Record<string, {
  edges: [string, string][];
  weights: { name: string; dtype: string; shape: number[]; node: string | null }[];
  inputConsumers: Record<string, string[]>;
}>;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-savedmodel-reader-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('CRC-32C matches the standard check value', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

for (const [fixture, truth] of Object.entries(truths)) {
  test(`${fixture}: data edges, inputs and weights are wired as the generator wrote them`, async () => {
    const m = await openModel(join(FIXTURES, fixture));
    try {
      const g = m.graph;
      const edges = new Set<string>();
      for (const n of g.nodes) {
        for (const i of n.inputs) {
          const p = g.values.get(i)?.producer;
          if (p) edges.add(JSON.stringify([p, n.id]));
        }
      }
      assert.deepEqual([...edges].sort(), truth.edges.map((e) => JSON.stringify(e)).sort());
      for (const [input, consumers] of Object.entries(truth.inputConsumers)) {
        assert.ok(g.inputs.includes(input));
        assert.deepEqual(g.values.get(input)?.consumers, consumers);
      }
      assert.deepEqual(g.initializers.map((t) => t.name).sort(), truth.weights.map((w) => w.name).sort());
      for (const w of truth.weights) {
        const t = g.initializers.find((x) => x.name === w.name)!;
        assert.equal(t.dtype, w.dtype);
        assert.deepEqual(t.shape, w.shape);
        assert.equal(t.location, 'shard');
        assert.equal(t.data?.byteLength, w.shape.reduce((a, b) => a * b, 1) * (w.dtype === 'int64' ? 8 : 4));
        assert.deepEqual(g.values.get(w.name)?.consumers, w.node ? [w.node] : []);
      }
    } finally {
      await m.dispose?.();
    }
  });
}

test('the descriptor claims saved_model.pb only', () => {
  assert.equal(savedModelReader.match('/a/b/saved_model.pb', new Uint8Array(0)), true);
  assert.equal(savedModelReader.match('/a/b/model.pb', new Uint8Array([8, 1])), false);
  assert.equal(savedModelReader.match('/a/b/saved_model.pbtxt', new Uint8Array(0)), false);
});

/** Offset of the trailer of the table's first data block, found by its checksum alone (the block starts at 0). */
function firstTrailer(buf: Uint8Array): number {
  for (let s = 1; s + 5 <= buf.length - 48; s++) {
    const stored = (buf[s + 1] | (buf[s + 2] << 8) | (buf[s + 3] << 16) | (buf[s + 4] << 24)) >>> 0;
    if (buf[s] === 0 && stored === maskCrc(crc32c(buf.subarray(0, s + 1)))) return s;
  }
  throw new Error('no block trailer found');
}

test('a snappy-compressed index block is refused with a clear message (checksum kept valid)', async () => {
  const dir = join(tmp, 'snappy');
  cpSync(join(FIXTURES, 'dense'), dir, { recursive: true });
  const p = join(dir, 'variables/variables.index');
  const buf = new Uint8Array(readFileSync(p));
  const at = firstTrailer(buf);
  buf[at] = 1;
  new DataView(buf.buffer).setUint32(at + 1, maskCrc(crc32c(buf.subarray(0, at + 1))), true);
  writeFileSync(p, buf);
  await assert.rejects(openModel(dir), (e: Error) => e instanceof ModelError && /^variables\.index: data block 0 is snappy-compressed/.test(e.message));
});

test('a variables folder linked from outside the model is refused by the shared folder rule before it is read', async () => {
  const model = join(tmp, 'linked');
  const outside = join(tmp, 'outside-variables');
  cpSync(join(FIXTURES, 'dense/variables'), outside, { recursive: true });
  mkdirSync(model, { recursive: true });
  cpSync(join(FIXTURES, 'dense/saved_model.pb'), join(model, 'saved_model.pb'));
  symlinkSync(outside, join(model, 'variables'));
  await assert.rejects(openModel(model), (e: unknown) => e instanceof ModelError && /checkpoint index "variables\/variables\.index" leaves the model folder \(a symlink takes it outside/.test(e.message));
});

test('an aborted open stops with the abort, not a result', async () => {
  const c = new AbortController();
  c.abort();
  await assert.rejects(savedModelReader.open(join(FIXTURES, 'dense/saved_model.pb'), { signal: c.signal }), { name: 'AbortError' });
});

test('mutated saved_model.pb and variables.index: a model or a ModelError, never another exception', async () => {
  let seed = 0x5eed;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const dir = join(tmp, 'fuzz');
  cpSync(join(FIXTURES, 'dense'), dir, { recursive: true });
  const files = ['saved_model.pb', 'variables/variables.index'].map((f) => ({ path: join(dir, f), orig: readFileSync(join(dir, f)) }));
  let errors = 0;
  for (let i = 0; i < 400; i++) {
    const f = files[i % 2];
    const b = Buffer.from(f.orig);
    const kind = rand(3);
    let bytes: Buffer = b;
    if (kind === 0) bytes = b.subarray(0, rand(b.length));
    else for (let k = 0; k <= rand(4); k++) b[rand(b.length)] = kind === 1 ? rand(256) : b[rand(b.length)] ^ (1 << rand(8));
    writeFileSync(f.path, bytes);
    try {
      const m = await openModel(dir);
      await m.dispose?.();
    } catch (e) {
      assert.ok(e instanceof ModelError, `case ${i}: ${String((e as Error).stack)}`);
      assert.equal((e as Error).message.split('\n').length, 1);
      errors++;
    }
    writeFileSync(f.path, f.orig);
  }
  assert.ok(errors > 100, `${errors} of 400 mutations were refused`);
});

test('readSavedModelSignatures gives a runtime the serving tags and signature keys', async () => {
  const { tags, signatures } = await readSavedModelSignatures(join(FIXTURES, 'tf1/saved_model.pb'));
  assert.deepEqual(tags, ['serve']);
  assert.equal(signatures[0].name, 'serving_default');
  assert.deepEqual(signatures[0].inputs.map((t) => [t.key, t.tensor, t.dtype, t.shape]), [['x', 'x:0', 'float32', [null, 6]]]);
  assert.deepEqual(signatures[0].outputs.map((t) => [t.key, t.tensor]), [['a', 'out/a:0'], ['b', 'out/b:0']]);
});
