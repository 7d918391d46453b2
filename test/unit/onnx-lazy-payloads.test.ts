import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxReader } from '../../src/formats/onnx/reader';
import { LAZY_PAYLOAD_BYTES, OnnxImage } from '../../src/formats/onnx/lazy-payloads';
import { ModelError } from '../../src/model/errors';
import type { Model } from '../../src/model/graph';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';

// Big inline raw_data payloads are left on disk at open (src/formats/onnx/lazy-payloads.ts) and read when a tensor's
// bytes are: the bytes must be the file's, small tensors and everything the decoder says must be as before.

const root = mkdtempSync(join(tmpdir(), 'onnx-lazy-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** Deterministic float32 values. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.1;
  }
  return out;
}

const BIG = 300 * 300; // 360 kB of float32: past LAZY_PAYLOAD_BYTES
const big = values(BIG, 1);
const small = values(16, 2);

function model(dir: string, extraBig = 0): string {
  const b = new OnnxBuilder()
    .input('x', 'float32', [1, 300])
    .initializer('W', 'float32', [300, 300], big)
    .initializer('b', 'float32', [16], small)
    .node('MatMul', ['x', 'W'], ['y'], {}, { name: '/fc/MatMul' })
    .output('y', 'float32', [1, 300]);
  for (let i = 0; i < extraBig; i++) b.initializer(`E${i}`, 'float32', [1024, 1024], values(1 << 20, 10 + i));
  return writeModel(dir, 'model.onnx', b);
}

async function bytesOf(m: Model, name: string): Promise<Float32Array> {
  const t = m.graph.initializers.find((x) => x.name === name)!;
  const raw = await t.data!.read(0, t.data!.byteLength);
  return new Float32Array(raw.slice().buffer);
}

test('a big raw_data payload is left unread at open and read from the file later, exactly', async () => {
  assert.ok(BIG * 4 >= LAZY_PAYLOAD_BYTES && small.byteLength < LAZY_PAYLOAD_BYTES);
  const path = model(mkdtempSync(join(root, 'a-')));
  const image = await OnnxImage.read(path);
  try {
    assert.equal(image.lazyBytes, BIG * 4, 'only W is left on disk');
    assert.equal(image.bytes.byteLength, readFileSync(path).byteLength);
  } finally {
    await image.dispose();
  }
  const m = await onnxReader.open(path);
  try {
    const w = m.graph.initializers.find((t) => t.name === 'W')!;
    assert.ok(w.data?.readInto, 'a file-backed source (reads into a caller buffer)');
    assert.deepEqual(await bytesOf(m, 'W'), big);
    assert.deepEqual(await bytesOf(m, 'b'), small);
    // A read in the middle, into a caller's buffer.
    const into = new Uint8Array(40);
    await w.data!.readInto!(4000, 40, into);
    assert.deepEqual(new Float32Array(into.buffer), big.subarray(1000, 1010));
  } finally {
    await m.dispose?.();
  }
});

test('opening a 64 MB model keeps its weights out of memory (resident set grows by far less than the file)', async () => {
  const path = model(mkdtempSync(join(root, 'rss-')), 16);
  const size = readFileSync(path).byteLength;
  global.gc?.();
  const before = process.memoryUsage().rss;
  const m = await onnxReader.open(path);
  try {
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < size / 4, `rss grew by ${grown} bytes for a ${size}-byte file`);
    assert.deepEqual((await bytesOf(m, 'E3')).subarray(0, 8), values(1 << 20, 13).subarray(0, 8));
  } finally {
    await m.dispose?.();
  }
});

test('a model file replaced after the open is not read for its weights', async () => {
  const dir = mkdtempSync(join(root, 'swap-'));
  const path = model(dir);
  const m = await onnxReader.open(path);
  try {
    writeFileSync(join(dir, 'other.onnx'), readFileSync(path));
    renameSync(join(dir, 'other.onnx'), path);
    await assert.rejects(bytesOf(m, 'W'), (e: Error) => e instanceof ModelError && /was replaced after the model was opened/.test(e.message));
  } finally {
    await m.dispose?.();
  }
});

test('a file cut inside a big payload gets the decoder\'s diagnosis, as with a whole-file read', async () => {
  const path = model(mkdtempSync(join(root, 'cut-')));
  const size = readFileSync(path).byteLength;
  truncateSync(path, size - 1000);
  await assert.rejects(onnxReader.open(path), (e: Error) =>
    e instanceof ModelError && e.message.startsWith('model.onnx: ') && /truncated or corrupt protobuf: .*data ends at byte \d+/.test(e.message));
});
