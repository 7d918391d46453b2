// Memory stays bounded on a 2 GiB external-data model: the real engine opens it and computes weight statistics while
// its peak resident set (VmHWM) stays far below the data size. Weights are streamed, never held whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { freeBytes, writeWeightsModel } from '../support/big-onnx';
import { buildEngine, removeBuild } from '../support/build-engine';
import { statusBytes } from '../support/proc-watch';

/** getWeightStats takes only the modelId; its engine params type (Record<string, never> & {modelId}) has no literal form. */
const statsParams = (modelId: string) => ({ modelId }) as never;
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const PEAK_LIMIT = 600 * MiB;
const free = freeBytes(tmpdir());
const skip = free < 6 * GiB ? `needs 6 GB free in ${tmpdir()}, has ${(free / GiB).toFixed(1)} GB` : false;

test('open + weight stats of a 2 GiB external-data model keep the engine under 600 MB peak RSS', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-mem-'));
  let enginePath: string | undefined;
  let engine: EngineClient | undefined;
  try {
    // 64 tensors of 1024×8192 float32 = 2 GiB in weights.bin, written 4 MB at a time.
    const { path, weightBytes } = writeWeightsModel(dir, 'big.onnx', { tensors: 64, rows: 1024, cols: 8192, externalData: 'weights.bin' });
    assert.equal(statSync(join(dir, 'weights.bin')).size, 2 * GiB);
    assert.ok(statSync(path).size < MiB, 'the .onnx file itself holds no weights');

    enginePath = await buildEngine();
    engine = new EngineClient({ enginePath });
    const { pid } = await engine.start();
    const atStart = statusBytes(pid, 'VmHWM');
    // Also sample the current RSS through ping while the job runs: VmHWM is the authority, this shows the curve.
    let sampledMax = 0;
    const sampler = setInterval(() => {
      void engine!.call('ping', {}).then((p) => (sampledMax = Math.max(sampledMax, p.rssBytes)), () => undefined);
    }, 100);
    const t0 = performance.now();
    const { modelId, summary } = await engine.call('open', { path });
    const openMs = performance.now() - t0;
    const stats = await engine.call('getWeightStats', statsParams(modelId));
    const statsMs = performance.now() - t0 - openMs;
    clearInterval(sampler);
    const peak = statusBytes(pid, 'VmHWM');

    assert.equal(stats.tensors.length, 64);
    assert.equal(stats.model.count, weightBytes / 4);
    // The noise is uniform in [-1, 1] (float32 rounding reaches 1): a mean far from 0 or a wrong range would mean bytes were misread.
    assert.ok(Math.abs(stats.model.mean!) < 1e-3 && stats.model.min! >= -1 && stats.model.max! <= 1, `mean ${stats.model.mean}, range ${stats.model.min}..${stats.model.max}`);
    assert.equal(summary.parameterCount, weightBytes / 4);
    t.diagnostic(`2 GiB external data: open ${openMs.toFixed(0)} ms, stats ${(statsMs / 1000).toFixed(1)} s (${(weightBytes / MiB / (statsMs / 1000)).toFixed(0)} MiB/s); engine peak RSS (VmHWM) ${(peak / MiB).toFixed(0)} MiB (at start ${(atStart / MiB).toFixed(0)} MiB, max sampled by ping ${(sampledMax / MiB).toFixed(0)} MiB)`);
    assert.ok(peak < PEAK_LIMIT, `engine peak RSS ${(peak / MiB).toFixed(0)} MiB is not well below the 2 GiB of weights`);
    await engine.call('close', { modelId });
  } finally {
    engine?.dispose();
    if (enginePath) removeBuild(enginePath);
    rmSync(dir, { recursive: true, force: true });
  }
});
