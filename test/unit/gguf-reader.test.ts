// GGUF through the bundled CLI and the stats scan, against truth.json/values.f32 written by llama.cpp's gguf-py
// (test/fixtures/gguf/make.py), plus files from the test's own writer: other versions and alignments, broken files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { exactHistograms } from '../../src/stats';
import { ScanBuffers, scanTensor } from '../../src/stats/scan';
import { useCliBundle } from '../support/cli-bundle';
import { bytesReadSoFar } from '../support/proc-watch';
import { ggufBytes, type KvValue } from '../support/gguf-writer';
import { quantize } from '../support/ggml-quantizer';
import { normals } from './stats-fixtures';

const FIX = join(__dirname, '../fixtures/gguf');
const FILE = join(FIX, 'tiny.gguf');
interface TruthTensor { type: string; shape: number[]; count: number; min: number; max: number; mean: number; edges: number[]; counts: number[]; valuesAt: number }
const truth = JSON.parse(readFileSync(join(FIX, 'truth.json'), 'utf8')) as {
  parameterCount: number; metadata: Record<string, string>; tensors: Record<string, TruthTensor>; listed: Record<string, { type: string; shape: number[] }>;
};
const raw = readFileSync(join(FIX, 'values.f32'));
const allValues = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const PLAIN: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', I32: 'int32' };

let cli: string;
let tmp: string;
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

useCliBundle('mi-gguf-', (b) => ({ cli, tmp } = b));

function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  const key = (x: number) => (x < 0 ? 0x80000000 - x : x);
  return Math.abs(key(i[0]) - key(i[1]));
}

test('inspect --json on the gguf-py file: format, counts and the Overview metadata equal the truth', () => {
  const r = run('inspect', FILE, '--json');
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.format, 'gguf');
  assert.equal(got.weightCount, Object.keys(truth.tensors).length + Object.keys(truth.listed).length);
  assert.equal(got.parameterCount, truth.parameterCount);
  assert.equal(got.nodeCount, 0);
  assert.deepEqual([got.inputs, got.outputs, got.warnings], [[], [], []]);
  for (const [k, v] of Object.entries(truth.metadata)) assert.equal(got.metadata[k], v, k);
  // Arrays are summarised, never dumped.
  assert.equal(got.metadata['tokenizer.ggml.tokens'], undefined);
  assert.ok(Object.values(got.metadata).every((v) => typeof v === 'string' && (v as string).length < 300));
});

test('stats --json: types, shapes (outermost first), counts, ranges and histograms equal gguf-py dequantization', async () => {
  const r = run('stats', FILE, '--json', '--bins', '16');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tensors: (Record<string, unknown> & { name: string; histogram: { edges: number[]; counts: number[] } })[] };
  for (const t of out.tensors) {
    const listed = truth.listed[t.name];
    if (listed) {
      assert.deepEqual(t.shape, listed.shape);
      assert.match(t.problem as string, new RegExp(`${listed.type} values are not decoded`));
      continue;
    }
    const w = truth.tensors[t.name];
    assert.ok(w, t.name);
    assert.deepEqual(t.shape, w.shape, t.name);
    assert.equal(t.count, w.count);
    if (PLAIN[w.type]) assert.equal(t.dtype, PLAIN[w.type]);
    else {
      assert.equal(t.dtype, 'float32');
      assert.equal(t.storedDType, w.type); // the block type (Q4_K…), not the bytes' uint8
      assert.equal(t.quantization, `GGML ${w.type} blocks (GGUF)`);
    }
    assert.ok(ulps(t.min as number, w.min) <= 1 && ulps(t.max as number, w.max) <= 1, `${t.name} range ${t.min}..${t.max} vs ${w.min}..${w.max}`);
    assert.ok(Math.abs((t.mean as number) - w.mean) <= 1e-6 * Math.max(1, Math.abs(w.mean)), `${t.name} mean`);
    assert.equal(t.histogram.counts.reduce((a, b) => a + b, 0), w.count);
  }
  assert.equal(out.tensors.length, Object.keys(truth.tensors).length + Object.keys(truth.listed).length);
});

test('every value the stats scan sees equals gguf-py dequantization (to 1 float32 ulp); exact histograms equal numpy', async () => {
  const model = await openModel(FILE);
  try {
    const buf = new ScanBuffers();
    let exact = 0;
    for (const t of model.graph.initializers) {
      const w = truth.tensors[t.name];
      if (!w) continue;
      const seen = new Float64Array(t.elementCount);
      await scanTensor(t, buf, (a, _u, len, first) => {
        for (let i = 0; i < len; i++) seen[first + i] = a[i];
      }, { quantization: t.quantization });
      const want = allValues.subarray(w.valuesAt, w.valuesAt + w.count);
      let worst = 0;
      for (let i = 0; i < w.count; i++) worst = Math.max(worst, ulps(seen[i], want[i]));
      assert.ok(worst <= 1, `${t.name} (${w.type}): ${worst} ulps`);
      const [h] = await exactHistograms(model, { tensors: [t.name], bins: w.edges.length - 1, symmetric: false, raw: false });
      const edgesClose = h.histogram.edges.every((e, i) => ulps(e, w.edges[i]) <= 1);
      assert.ok(edgesClose, `${t.name} edges`);
      if (h.histogram.edges.every((e, i) => e === w.edges[i])) {
        assert.deepEqual(h.histogram.counts, w.counts, t.name);
        exact++;
      }
    }
    // Where a 1-ulp difference moved an edge, the counts may differ at that edge; most tensors decode bit-exact.
    assert.ok(exact >= Object.keys(truth.tensors).length - 2, `${exact} exact histograms`);
  } finally {
    await model.dispose?.();
  }
});

const META: [string, KvValue][] = [
  ['general.architecture', { type: 'string', value: 'gpt2' }],
  ['general.name', { type: 'string', value: 'x'.repeat(500) }],
  ['general.alignment', { type: 'u32', value: 64 }],
  ['gpt2.context_length', { type: 'u64', value: 1024 }],
  ['gpt2.flag', { type: 'bool', value: true }],
  ['gpt2.scale', { type: 'f64', value: 0.125 }],
  ['gpt2.offset', { type: 'i64', value: -3 }],
  ['tokenizer.ggml.tokens', { type: 'array', of: 'string', value: ['a', 'b', 'c'] }],
  ['tokenizer.ggml.eos_token_id', { type: 'i32', value: 2 }],
];

test('version 2, a 64-byte alignment and every value type: opens, shapes reversed, Q4_0/Q8_0 values as quantized', async () => {
  const x = normals(2 * 64, 3, 0.1);
  const q4 = quantize('Q4_0', x);
  const q8 = quantize('Q8_0', x);
  const p = join(tmp, 'v2.gguf');
  writeFileSync(p, ggufBytes(META, [
    { name: 'a', dims: [64, 2], type: 2, bytes: q4.bytes },
    { name: 'b', dims: [64, 2], type: 8, bytes: q8.bytes },
    { name: 'c', dims: [3], type: 0, bytes: new Uint8Array(new Float32Array([1, -2, 3]).buffer) },
  ], { version: 2, alignment: 64 }));
  const got = JSON.parse(run('inspect', p, '--json').stdout);
  assert.equal(got.metadata['GGUF version'], '2');
  assert.equal(got.metadata['context length'], '1024');
  assert.equal(got.metadata['vocab size'], '3');
  assert.equal(got.metadata['eos token id'], '2');
  assert.equal(got.metadata['gpt2.flag'], 'true');
  assert.equal(got.metadata['gpt2.offset'], '-3');
  assert.equal(got.metadata.name.length, 201);
  const s = JSON.parse(run('stats', p, '--json').stdout) as { tensors: { name: string; shape: number[]; min: number; max: number; count: number }[] };
  for (const [name, rec] of [['a', q4.values], ['b', q8.values]] as const) {
    const t = s.tensors.find((u) => u.name === name)!;
    assert.deepEqual(t.shape, [2, 64]);
    assert.equal(t.count, 128);
    assert.equal(t.min, Math.fround(Math.min(...rec)));
    assert.equal(t.max, Math.fround(Math.max(...rec)));
  }
});

test('opening reads the header only: a 36 GB (sparse) Q8_0 file opens at once', async () => {
  // Tensor infos whose data lies in a hole of the file: the header is written, then the file is extended.
  const rows = 2 ** 15, cols = 2 ** 15;
  const bytes = (rows * cols / 32) * 34;
  const tensors = Array.from({ length: 32 }, (_, i) => ({ name: `blk.${i}.w`, dims: [cols, rows], type: 8, bytes: new Uint8Array(0), reserve: bytes }));
  const head = ggufBytes([['general.architecture', { type: 'string', value: 'llama' }]], tensors, { headerOnly: true });
  const p = join(tmp, 'huge.gguf');
  writeFileSync(p, head);
  truncateSync(p, head.length + 32 * Math.ceil(bytes / 32) * 32);
  const r = run('inspect', p, '--json');
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.weightCount, 32);
  assert.equal(got.parameterCount, 32 * rows * cols);
  assert.equal(got.parameterBytes, 32 * bytes);
  // The same open in this process, counting the bytes it reads (not the time, which a loaded machine stretches).
  const before = bytesReadSoFar();
  const m = await openModel(p);
  await m.dispose?.();
  const read = bytesReadSoFar() - before;
  assert.ok(read < 64 * 2 ** 20, `opening read ${read} bytes of a 36 GB file`);
});

test('broken files: exit 1 with "<file>: <problem>", nothing allocated from absurd counts', () => {
  const good = readFileSync(FILE);
  const cases: [string, Uint8Array, RegExp][] = [];
  const magic = Uint8Array.from(good);
  magic.set([0x47, 0x47, 0x4d, 0x4c]); // "GGML"
  cases.push(['bad-magic.gguf', magic, /does not start with the GGUF magic/]);
  cases.push(['truncated-header.gguf', good.subarray(0, 2000), /runs past the end of the file \(2000 bytes\)|is impossible: only \d+ bytes are left/]);
  cases.push(['tiny-header.gguf', good.subarray(0, 300), /tensor count 15 is impossible: only \d+ bytes are left/]);
  cases.push(['truncated-data.gguf', good.subarray(0, good.length - 100), /run past the end of the file/]);
  const count = Uint8Array.from(good);
  new DataView(count.buffer).setBigUint64(8, 1n << 50n, true);
  cases.push(['absurd-count.gguf', count, /tensor count \d+ is impossible/]);
  const kvs = Uint8Array.from(good);
  new DataView(kvs.buffer).setBigUint64(16, 0xffffffffffffn, true);
  cases.push(['absurd-kv-count.gguf', kvs, /key\/value count \d+ is impossible/]);
  const v1 = Uint8Array.from(good);
  new DataView(v1.buffer).setUint32(4, 1, true);
  cases.push(['v1.gguf', v1, /GGUF version 1/]);
  const keyLen = Uint8Array.from(good);
  new DataView(keyLen.buffer).setBigUint64(24, 1n << 40n, true); // the first key's length
  cases.push(['string-past-eof.gguf', keyLen, /key 0 length \d+ is impossible/]);
  cases.push(['rank5.gguf', ggufBytes([], [{ name: 'r', dims: [1, 1, 1, 1, 1], type: 0, bytes: new Uint8Array(4) }]), /has 5 dimensions/]);
  cases.push(['align3.gguf', ggufBytes([['general.alignment', { type: 'u32', value: 3 }]], []), /general\.alignment 3 is not a power of two/]);
  cases.push(['ragged.gguf', ggufBytes([], [{ name: 'q', dims: [16, 2], type: 2, bytes: new Uint8Array(18) }]), /Q4_0 stores blocks of 32 values, but its rows have 16/]);
  for (const [name, bytes, problem] of cases) {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    const r = run('inspect', p, '--json');
    assert.equal(r.status, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
    const { error } = JSON.parse(r.stdout) as { error: string };
    assert.ok(error.startsWith(`${basename(p)}: `), error);
    assert.match(error, problem, name);
  }
});
