import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { computeModelStats, type StatsOptions } from '../../src/stats';
import { workerJobsDone } from '../../src/stats/scan-pool';
import { ModelError } from '../../src/model/errors';
import type { ModelStats } from '../../src/protocol/stats';
import { safetensorsBytes } from '../support/safetensors-writer';
import { ggufBytes } from '../support/gguf-writer';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { buildCli, removeBuild } from '../support/build-engine';
import { rng } from '../support/xorshift';

// Weight statistics with worker threads (src/stats/scan-pool.ts, scan-worker.ts) against the main thread alone on
// the same files: workers read the tensors themselves and must give the same statistics to the bit.

const root = mkdtempSync(join(tmpdir(), 'mi-stats-workers-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

function bytes(n: number, seed: number, fill: (r: () => number, out: Uint8Array) => void): Uint8Array {
  const out = new Uint8Array(n);
  fill(rng(seed), out);
  return out;
}
const halves = (n: number, seed: number) => bytes(n * 2, seed, (r, out) => {
  const h = new Uint16Array(out.buffer);
  for (let i = 0; i < h.length; i++) {
    const x = r();
    h[i] = (x & 0x83ff) | ((8 + (x >>> 20) % 6) << 10);
  }
});
const floats = (n: number, seed: number) => bytes(n * 4, seed, (r, out) => {
  const f = new Float32Array(out.buffer);
  for (let i = 0; i < f.length; i++) f[i] = (r() / 2 ** 32 - 0.5) * 0.2;
});
/** GGML blocks with finite half scales (the rest random quants). */
const blocks = (count: number, size: number, seed: number) => bytes(count * size, seed, (r, out) => {
  for (let i = 0; i < out.length; i++) out[i] = r() & 255;
  for (let b = 0; b < count; b++) {
    const h = (r() & 0x83ff) | (9 << 10);
    out[b * size] = h & 255;
    out[b * size + 1] = h >> 8;
  }
});

async function stats(path: string, opts: StatsOptions): Promise<ModelStats> {
  const m = await openModel(path);
  try {
    return { ...(await computeModelStats(m, opts)), elapsedMs: 0 };
  } finally {
    await m.dispose?.();
  }
}

/** With one worker (started whatever the size) and without: identical, and the worker did scan tensors. */
async function sameWithWorkers(path: string): Promise<void> {
  const alone = await stats(path, { workers: 0 });
  const before = workerJobsDone();
  const pooled = await stats(path, { workers: 1, workerMinBytes: 0 });
  assert.ok(workerJobsDone() > before, 'a worker scanned tensors');
  assert.deepStrictEqual(pooled, alone);
}

test('SafeTensors float16/bfloat16/float32: workers give the main thread\'s statistics to the bit', async () => {
  const path = join(root, 'm.safetensors');
  writeFileSync(path, safetensorsBytes([
    { name: 'a.f16', dtype: 'F16', shape: [512, 300], bytes: halves(512 * 300, 1) },
    { name: 'a.bf16', dtype: 'BF16', shape: [300, 400], bytes: halves(300 * 400, 2) },
    { name: 'b.f32', dtype: 'F32', shape: [200, 333], bytes: floats(200 * 333, 3) },
    { name: 'b.f32_small', dtype: 'F32', shape: [10], bytes: floats(10, 4) },
    { name: 'c.f16_small', dtype: 'F16', shape: [100], bytes: halves(100, 5) },
  ]));
  await sameWithWorkers(path);
});

test('GGUF Q8_0/Q4_0 and ONNX external data: workers give the main thread\'s statistics to the bit', async () => {
  const gguf = join(root, 'm.gguf');
  writeFileSync(gguf, ggufBytes([['general.architecture', { type: 'string', value: 'test' }]], [
    { name: 'blk.0.q8', type: 8, dims: [1024, 300], bytes: blocks((1024 * 300) / 32, 34, 6) },
    { name: 'blk.0.q4', type: 2, dims: [512, 300], bytes: blocks((512 * 300) / 32, 18, 7) },
    { name: 'blk.0.f32', type: 0, dims: [100, 70], bytes: floats(7000, 8) },
  ]));
  await sameWithWorkers(gguf);
  // Gemm weights with transB = 1 ([out, in]: channel rows, the kernel's layout; MatMul's [in, out] columns are not).
  const onnx = writeModel(mkdtempSync(join(root, 'onnx-')), 'model.onnx', new OnnxBuilder()
    .input('x', 'float32', [1, 256])
    .initializer('W', 'float32', [512, 256], new Float32Array(floats(256 * 512, 9).buffer), { storage: 'external' })
    .initializer('V', 'float32', [300, 512], new Float32Array(floats(512 * 300, 10).buffer))
    .node('Gemm', ['x', 'W'], ['h'], { transB: 1 })
    .node('Gemm', ['h', 'V'], ['y'], { transB: 1 })
    .output('y', 'float32', [1, 300]), { externalData: 'weights.bin' });
  await sameWithWorkers(onnx);
});

test('a cancel stops the workers mid-scan; the next run works', async () => {
  const path = join(root, 'big.safetensors');
  writeFileSync(path, safetensorsBytes(Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, dtype: 'F16', shape: [2048, 2048], bytes: halves(2048 * 2048, 20 + i) }))));
  const m = await openModel(path);
  try {
    const ctl = new AbortController();
    await assert.rejects(computeModelStats(m, { workers: 1, workerMinBytes: 0, signal: ctl.signal, onProgress: () => ctl.abort() }), /cancelled/);
    const again = await computeModelStats(m, { workers: 1, workerMinBytes: 0 });
    assert.equal(again.tensors.length, 8);
    assert.ok(again.tensors.every((t) => t.count === 2048 * 2048 && t.min !== null));
  } finally {
    await m.dispose?.();
  }
});

test('a model file replaced after its open: the worker refuses to read it, and the run fails with that error', async () => {
  const dir = mkdtempSync(join(root, 'swap-'));
  const path = writeModel(dir, 'model.onnx', new OnnxBuilder()
    .input('x', 'float32', [1, 300])
    .initializer('W', 'float32', [300, 300], new Float32Array(floats(300 * 300, 11).buffer))
    .node('Gemm', ['x', 'W'], ['y'], { transB: 1 })
    .output('y', 'float32', [1, 300]));
  const m = await openModel(path);
  try {
    writeFileSync(join(dir, 'copy.onnx'), readFileSync(path));
    renameSync(join(dir, 'copy.onnx'), path);
    await assert.rejects(computeModelStats(m, { workers: 1, workerMinBytes: 0 }), (e: Error) => e instanceof ModelError && /was replaced after the model was opened/.test(e.message));
  } finally {
    await m.dispose?.();
  }
});

test('the bundled CLI scans a 72 MB file with its worker, gives the in-process statistics and exits at once (idle workers do not hold it)', async () => {
  const path = join(root, 'cli.safetensors');
  // Past WORKER_MIN_BYTES, so that the CLI starts its worker (on a machine with a second core).
  const specs = Array.from({ length: 9 }, (_, i) => ({ name: `blk.${i}.w`, dtype: 'F16' as const, shape: [2048, 2048], bytes: halves(2048 * 2048, 40 + i) }));
  writeFileSync(path, safetensorsBytes(specs));
  const cli = await buildCli();
  try {
    const before = Date.now();
    const r = spawnSync(process.execPath, [cli, 'stats', path, '--json'], { encoding: 'utf8', timeout: 25_000 });
    assert.equal(r.status, 0, `exit ${r.status} after ${Date.now() - before} ms: ${r.stderr}`);
    const fromCli = JSON.parse(r.stdout);
    const inProcess = await stats(path, { workers: 0 });
    assert.deepStrictEqual(fromCli.tensors, JSON.parse(JSON.stringify(inProcess.tensors)));
  } finally {
    removeBuild(cli);
  }
});
