import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tfjsReader, dequantizeTfjs, decodeTfjsStrings } from '../../src/formats/tfjs/reader';
import type { Model, Tensor } from '../../src/model';
import { bytesOf, diskHandler, float16Bytes, saveLayersModel, sequentialCnn, tempDir, tf, tfReady, writeTfjsModel, type StoredWeight } from '../support/tfjs-fixtures';

const cleanups: (() => Promise<void>)[] = [];
after(async () => Promise.all(cleanups.map((c) => c())));

async function openWeights(weights: StoredWeight[], shardBytes?: number): Promise<Model> {
  const t = await tempDir('tfjs-quant-');
  cleanups.push(t.cleanup);
  const { jsonPath } = await writeTfjsModel(t.dir, { class_name: 'Sequential', config: { name: 's', layers: [] } }, 'layers-model', weights, { shardBytes });
  const model = await tfjsReader.open(jsonPath);
  cleanups.unshift(async () => model.dispose?.());
  return model;
}

function weight(model: Model, name: string): Tensor {
  const t = model.graph.initializers.find((x) => x.name === name);
  assert.ok(t, name);
  return t;
}

async function values(t: Tensor): Promise<number[]> {
  assert.ok(t.data, `${t.name}: ${t.problem}`);
  return [...dequantizeTfjs(await t.data.read(0, t.data.byteLength), t)];
}

/** What tfjs-core's own decoder makes of the same manifest entries and bytes. */
function tfjsDecoded(weights: StoredWeight[]): Record<string, number[]> {
  const all = new Uint8Array(weights.reduce((a, w) => a + w.bytes.byteLength, 0));
  let at = 0;
  for (const w of weights) {
    all.set(w.bytes, at);
    at += w.bytes.byteLength;
  }
  const specs = weights.map(({ name, shape, dtype, quantization }) => ({ name, shape, dtype, ...(quantization ? { quantization } : {}) }) as tf.io.WeightsManifestEntry);
  const map = tf.io.decodeWeights(all.buffer, specs);
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, [...v.dataSync()]]));
}

test('float16 encoder gives the IEEE half bit patterns', () => {
  const u16 = new Uint16Array(float16Bytes([1, 0.5, -2, 65504, 1 / 3, 2 ** -24, 1e6]).buffer);
  assert.deepEqual([...u16], [0x3c00, 0x3800, 0xc000, 0x7bff, 0x3555, 0x0001, 0x7c00]);
});

test('uint8 / uint16 min+scale, scale+offset, and float16 quantization dequantize to the exact tfjs values', async () => {
  await tfReady();
  const q8 = new Uint8Array([0, 1, 127, 128, 255, 3]);
  const q16 = new Uint16Array([0, 1000, 32768, 65535]);
  const halves = [1, 0.5, -2, 65504, 1 / 3, 2 ** -24];
  const plain = new Float32Array([1.25, -3.5, 7]);
  const weights: StoredWeight[] = [
    { name: 'u8_min', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1.5, scale: 0.1 }, bytes: bytesOf(q8) },
    { name: 'u16_min', shape: [4], dtype: 'float32', quantization: { dtype: 'uint16', min: -3, scale: 0.001 }, bytes: bytesOf(q16) },
    { name: 'u8_offset', shape: [6], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, offset: 128 }, bytes: bytesOf(q8) },
    { name: 'u16_offset', shape: [4], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, offset: 32768 }, bytes: bytesOf(q16) },
    { name: 'f16', shape: [6], dtype: 'float32', quantization: { dtype: 'float16' }, bytes: float16Bytes(halves) },
    { name: 'int_u8', shape: [6], dtype: 'int32', quantization: { dtype: 'uint8', min: -10, scale: 0.3 }, bytes: bytesOf(q8) },
    { name: 'half_native', shape: [6], dtype: 'float16', bytes: float16Bytes(halves) },
    { name: 'after', shape: [3], dtype: 'float32', bytes: bytesOf(plain) },
  ];
  // 5-byte shards: every multi-byte element straddles a shard boundary somewhere.
  const model = await openWeights(weights, 5);

  const u8 = weight(model, 'u8_min');
  assert.equal(u8.dtype, 'float32');
  assert.equal(u8.storedDType, 'uint8');
  assert.deepEqual(u8.quantization, { kind: 'tfjs', dtype: 'uint8', min: -1.5, scale: 0.1 });
  assert.equal(u8.data!.byteLength, 6);
  assert.equal(u8.elementCount, 6);

  const f32 = (xs: number[]) => xs.map(Math.fround);
  assert.deepEqual(await values(u8), f32([...q8].map((q) => q * 0.1 - 1.5)));
  assert.deepEqual(await values(weight(model, 'u16_min')), f32([...q16].map((q) => q * 0.001 - 3)));
  assert.deepEqual(await values(weight(model, 'u8_offset')), [-64, -63.5, -0.5, 0, 63.5, -62.5]);
  assert.deepEqual(await values(weight(model, 'u16_offset')), [-8192, -7942, 0, 8191.75]);
  assert.deepEqual(await values(weight(model, 'f16')), f32([1, 0.5, -2, 65504, 0.333251953125, 2 ** -24]));
  const ints = weight(model, 'int_u8');
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(await values(ints), [...q8].map((q) => Math.round(q * 0.3 - 10)));
  const native = weight(model, 'half_native');
  assert.equal(native.dtype, 'float16');
  assert.equal(native.storedDType, undefined);
  assert.deepEqual(await values(native), await values(weight(model, 'f16')));
  // Offsets after quantized weights must account for their stored (not dequantized) size.
  assert.deepEqual(await values(weight(model, 'after')), [...plain]);

  // tfjs-core decodes the same bytes to the same numbers (it has no offset form nor native float16).
  const ref = tfjsDecoded(weights.filter((w) => !['u8_offset', 'u16_offset', 'half_native'].includes(w.name)));
  for (const [name, expected] of Object.entries(ref)) assert.deepEqual(await values(weight(model, name)), expected, name);
});

test('a uint8-quantized layers model: tfjs loads it and its weights equal our dequantized values', async () => {
  await tfReady();
  const m = sequentialCnn();
  const t = await tempDir('tfjs-quant-');
  cleanups.push(t.cleanup);
  // Save through tfjs, then rewrite its model.json with every float32 weight quantized to uint8.
  const saved = await saveLayersModel(m, t.dir);
  const json = JSON.parse(await readFile(saved.jsonPath, 'utf8'));
  const weights: StoredWeight[] = m.weights.map((w) => {
    const v = w.read().dataSync() as Float32Array;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
    const scale = hi > lo ? (hi - lo) / 255 : 1;
    const q = Uint8Array.from(v, (x) => Math.round((x - lo) / scale));
    return { name: w.originalName, shape: w.shape as number[], dtype: 'float32', quantization: { dtype: 'uint8', min: lo, scale }, bytes: q };
  });
  const { jsonPath } = await writeTfjsModel(t.dir, json.modelTopology, 'layers-model', weights, { jsonName: 'quantized.json', groupPrefix: 'q', shardBytes: 64 });
  const loaded = await tf.loadLayersModel(diskHandler(jsonPath));
  const model = await tfjsReader.open(jsonPath);
  try {
    for (const w of loaded.weights) {
      assert.deepEqual(await values(weight(model, w.originalName)), [...(w.read().dataSync() as Float32Array)], w.originalName);
    }
  } finally {
    await model.dispose?.();
  }
});

test('string weights: sizes found by walking the length prefixes, later offsets stay right', async () => {
  const words = ['hello', '', 'wörld', 'x'.repeat(70000)];
  const enc = new TextEncoder();
  const parts = words.flatMap((w) => {
    const b = enc.encode(w);
    return [bytesOf(new Uint32Array([b.byteLength])), b];
  });
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  const tail = new Float32Array([3.5, -1]);
  const model = await openWeights([
    { name: 'vocab', shape: [2, 2], dtype: 'string', bytes },
    { name: 'tail', shape: [2], dtype: 'float32', bytes: bytesOf(tail) },
  ], 1000);
  const vocab = weight(model, 'vocab');
  assert.equal(vocab.dtype, 'string');
  assert.equal(vocab.data?.byteLength, bytes.byteLength);
  assert.deepEqual(decodeTfjsStrings(await vocab.data!.read(0, bytes.byteLength)), words);
  assert.deepEqual(await values(weight(model, 'tail')), [...tail]);
});
