// Nothing lost: the extension never writes to a model's folder. Open, graph, stats and run (ONNX with external data
// and a labels file) through the real engine, then compare every file's bytes, size and mtime, and the listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { writeWeightsModel } from '../support/big-onnx';
import { buildEngine, removeBuild } from '../support/build-engine';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(e.parentPath, e.name);
    const s = statSync(p);
    const hash = e.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : 'dir';
    out.set(p, `${hash} ${s.size} ${s.mtimeMs} ${s.mode.toString(8)}`);
  }
  return out;
}

test('open + graph + stats + run + close leave every file in the model folder untouched', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-readonly-'));
  const enginePath = await buildEngine();
  const engine = new EngineClient({ enginePath });
  try {
    const { path } = writeWeightsModel(dir, 'model.onnx', { tensors: 3, rows: 8, cols: 4, externalData: 'model.onnx.data' });
    writeFileSync(join(dir, 'labels.txt'), 'a\nb\nc\nd\n');
    const before = snapshot(dir);
    assert.equal(before.size, 3);
    // mtime resolution: make any write within the test visible even on coarse file systems.
    await new Promise((r) => setTimeout(r, 20));

    const { modelId } = await engine.call('open', { path });
    assert.ok((await engine.call('getGraph', { modelId })).nodes.length > 0);
    const stats = await engine.call('getWeightStats', { modelId } as never);
    assert.equal(stats.tensors.length, 3);
    const run = await engine.call('run', { modelId, runs: 2, providers: ['cpu'] });
    assert.deepEqual(run.outputs[0].shape, [1, 4]);
    await engine.call('close', { modelId });
    const pid = engine.pid!;
    engine.dispose();
    // Whatever the engine might write on its way out is written once it is gone.
    while (alive(pid)) await new Promise((r) => setTimeout(r, 20));

    assert.deepEqual(snapshot(dir), before, 'same files, bytes, sizes, mtimes and modes; no new files');
  } finally {
    engine.dispose();
    removeBuild(enginePath);
    rmSync(dir, { recursive: true, force: true });
  }
});
