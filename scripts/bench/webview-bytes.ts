// `npm run bench -- webview-bytes [--mb 350]`: what crosses to the webview for a big model. In Remote-SSH, Dev
// Containers and code-server (the end-to-end tests' topology) the engine runs on the remote machine next to the file
// and only these answers travel to the client. Opens a generated ONNX model of about `--mb` MB of float32 weights in
// the real engine process and prints the JSON bytes of each answer the panel forwards (Overview, Graph, Weights
// statistics, one Run), against the model's size on disk.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { buildEngine, removeBuild } from '../../test/support/build-engine';
import { writeWeightsModel } from '../../test/support/big-onnx';

export async function run(args: string[]): Promise<void> {
  const mb = Number(args.find((a) => a.startsWith('--mb='))?.slice(5) ?? 350);
  const dir = mkdtempSync(join(tmpdir(), 'mi-webview-bytes-'));
  const rows = 1024;
  const cols = 768;
  const tensors = Math.max(1, Math.round((mb * 1e6) / (rows * cols * 4)));
  const { path } = writeWeightsModel(dir, 'big.onnx', { tensors, rows, cols, externalData: 'big.onnx.data' });
  const enginePath = await buildEngine();
  const engine = new EngineClient({ enginePath });
  try {
    const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
    const t0 = performance.now();
    const { modelId, summary } = await engine.call('open', { path });
    const answers: Record<string, number> = { overview: bytes(summary) };
    answers.graph = bytes(await engine.call('getGraph', { modelId }));
    answers.weightStats = bytes(await engine.call('getWeightStats', { modelId } as never));
    answers.run = bytes(await engine.call('run', { modelId, runs: 1, providers: ['cpu'] }));
    const total = Object.values(answers).reduce((a, b) => a + b, 0);
    const onDisk = statSync(path).size + statSync(join(dir, 'big.onnx.data')).size;
    console.log(JSON.stringify({ bench: 'webview-bytes', modelBytes: onDisk, tensors, answers, totalBytes: total, ratio: total / onDisk, seconds: (performance.now() - t0) / 1000 }));
  } finally {
    engine.dispose();
    removeBuild(enginePath);
    rmSync(dir, { recursive: true, force: true });
  }
}
