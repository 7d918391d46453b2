// The Keras reader in-process: lazy partial reads equal numpy's values, corrupt HDF5 never takes the process (or
// h5wasm's module) down, and a layer tfjs cannot run is named by kerasArtifacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel as open } from '../../src/formats/registry';
import { kerasArtifacts } from '../../src/formats/keras/artifacts';
import { ModelError } from '../../src/model/errors';

const dir = join(__dirname, '../fixtures/keras');
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, { weights: { name: string; values: number[] }[] }>;

test('reads of part of a weight (row slices through HDF5) return exactly those float32 values', async () => {
  for (const file of ['tiny-cnn.keras', 'tiny-mlp.h5']) {
    const model = await open(join(dir, file));
    try {
      for (const w of truth[file].weights) {
        const t = model.graph.initializers.find((x) => x.name === w.name.replace(/:\d+$/, ''))!;
        assert.equal(t.data!.byteLength, w.values.length * 4);
        // An odd range that starts and ends inside elements and rows.
        const from = Math.min(6, t.data!.byteLength - 1);
        const len = Math.max(1, t.data!.byteLength - from - 3);
        const part = await t.data!.read(from, len);
        const all = new Uint8Array(new Float32Array(w.values).buffer);
        assert.deepEqual(Array.from(part), Array.from(all.subarray(from, from + len)), `${file} ${w.name}`);
      }
    } finally {
      await model.dispose?.();
    }
  }
});

test('a layer class tfjs has no implementation of is named, and the model still opens for viewing', async () => {
  const model = await open(join(dir, 'unsupported-layer.keras'));
  try {
    assert.ok(model.graph.nodes.some((n) => n.opType === 'UnitNormalization'));
    await assert.rejects(kerasArtifacts(model), (e) => e instanceof ModelError && e.message === "unsupported-layer.keras: layer 'unit_normalization' (class UnitNormalization) has no TF.js implementation; the model can be viewed but not run");
  } finally {
    await model.dispose?.();
  }
});

test('corrupt HDF5 (300 damaged copies) gives ModelErrors or readable models, never a crash nor a line on stderr; h5wasm keeps working', async () => {
  const good = readFileSync(join(dir, 'tiny-mlp.h5'));
  // What h5wasm (or HDF5) would print on the way: nothing may reach the log (an abort, a damaged name's warning).
  const stderr: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr.push(String(chunk));
    return (write as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  const tmp = mkdtempSync(join(tmpdir(), 'mi-keras-fuzz-'));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const outcomes = { opened: 0, refused: 0 };
  try {
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(good);
      // Damage 1-4 runs of bytes anywhere past the signature (metadata, B-trees, heaps, data).
      for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
        const at = 8 + Math.floor(rand() * (bad.length - 8));
        for (let j = 0; j < 1 + Math.floor(rand() * 16) && at + j < bad.length; j++) bad[at + j] = Math.floor(rand() * 256);
      }
      const f = join(tmp, `bad-${i}.h5`);
      writeFileSync(f, i % 7 === 0 ? bad.subarray(0, Math.floor(rand() * bad.length)) : bad);
      try {
        const m = await open(f);
        try {
          for (const t of m.graph.initializers) if (t.data) await t.data.read(0, t.data.byteLength).catch((e) => assert.ok(e instanceof ModelError, String(e)));
        } finally {
          await m.dispose?.();
        }
        outcomes.opened++;
      } catch (e) {
        assert.ok(e instanceof ModelError, `bad-${i}.h5: ${String(e)}`);
        assert.match(e.message, new RegExp(`^bad-${i}\\.h5: \\S`));
        assert.doesNotMatch(e.message, /\n/);
        outcomes.refused++;
      }
    }
  } finally {
    process.stderr.write = write;
    rmSync(tmp, { recursive: true, force: true });
  }
  assert.deepEqual(stderr.filter((l) => /Aborted\(|Invalid UTF-8|HDF5-DIAG/.test(l)), [], 'h5wasm printed to stderr');
  assert.ok(outcomes.refused > 0, JSON.stringify(outcomes));
  console.log(`# corrupt copies: ${JSON.stringify(outcomes)}`);
  const m = await open(join(dir, 'tiny-mlp.h5'));
  const t = m.graph.initializers[0];
  const b = await t.data!.read(0, 4);
  assert.equal(new Float32Array(b.buffer, b.byteOffset, 1)[0], Math.fround(truth['tiny-mlp.h5'].weights[0].values[0]));
  await m.dispose?.();
});

test('big-endian float32 reads as its values; float16 (which h5wasm cannot decode) is a tensor with a problem, not a crash', async () => {
  const want = JSON.parse(readFileSync(join(dir, 'odd-dtypes.json'), 'utf8')) as { kernel: { dtype: string; shape: number[]; values: number[] }; bias: { dtype: string; shape: number[] } };
  const model = await open(join(dir, 'odd-dtypes.weights.h5'));
  try {
    const kernel = model.graph.initializers.find((t) => t.name === 'dense/kernel')!;
    const bias = model.graph.initializers.find((t) => t.name === 'dense/bias')!;
    assert.equal(kernel.dtype, want.kernel.dtype);
    assert.deepEqual(kernel.shape, want.kernel.shape);
    const b = await kernel.data!.read(0, kernel.data!.byteLength);
    assert.deepEqual(Array.from(new Float32Array(b.slice().buffer)), want.kernel.values.map(Math.fround));
    assert.equal(bias.dtype, want.bias.dtype);
    assert.deepEqual(bias.shape, want.bias.shape);
    assert.equal(bias.data, undefined);
    assert.match(bias.problem!, /float16/);
  } finally {
    await model.dispose?.();
  }
});
