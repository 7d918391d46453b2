// `npm run bench -- inference [model.onnx] [--runs N] [--ep cpu]`: per-inference latency through our engine (the real
// forked engine process, run handler, runtime layer) against a bare onnxruntime InferenceSession.run in this process,
// same input, same provider, measured in alternating blocks so machine load hits both alike.
// Prints {"model","provider","engineP50Ms","rawP50Ms","ratio"} (+ p95s and the RPC wall time per block).
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EngineClient } from '../../src/engine/client';
import { latencyStats } from '../../src/runtime/output-summary';
import { synthesize } from '../../src/runtime/synthesize';
import { OnnxBuilder, writeModel } from '../../test/support/onnx-builder';

const root = resolve(__dirname, '../..');

/** A small image CNN (conv-relu ×3, global pool, dense): [1,3,64,64] → [1,10]. */
function makeCnn(dir: string): string {
  let seed = 1;
  const rand = (n: number, scale: number) => Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * scale);
  const b = new OnnxBuilder('cnn').input('image', 'float32', [1, 3, 64, 64]);
  let c = 3;
  let x = 'image';
  for (const [i, out] of [16, 32, 64].entries()) {
    b.initializer(`w${i}`, 'float32', [out, c, 3, 3], rand(out * c * 9, 0.4))
      .initializer(`b${i}`, 'float32', [out], rand(out, 0.1))
      .node('Conv', [x, `w${i}`, `b${i}`], [`conv${i}`], { pads: [1, 1, 1, 1], strides: i ? [2, 2] : [1, 1], kernel_shape: [3, 3] })
      .node('Relu', [`conv${i}`], [`relu${i}`]);
    x = `relu${i}`;
    c = out;
  }
  b.node('GlobalAveragePool', [x], ['pool'])
    .node('Flatten', ['pool'], ['flat'])
    .initializer('fc', 'float32', [10, c], rand(10 * c, 0.5))
    .initializer('fcb', 'float32', [10], rand(10, 0.1))
    .node('Gemm', ['flat', 'fc', 'fcb'], ['logits'], { transB: 1 })
    .output('logits', 'float32', [1, 10]);
  return writeModel(dir, 'cnn.onnx', b);
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'mi-bench-inf-'));
  const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const model = positional[0] ? resolve(positional[0]) : makeCnn(tmp);
  const runs = Number(flag(args, 'runs') ?? 200);
  const ep = flag(args, 'ep') ?? 'cpu';
  const blocks = 4;
  const per = Math.ceil(runs / blocks);

  // The real engine process, bundled like scripts/build.mjs does.
  await build({
    entryPoints: { main: join(root, 'src/engine/main.ts') }, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    outdir: join(root, 'dist-test', `bench-engine-${process.pid}`), logLevel: 'silent',
    external: ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp'],
  });
  const client = new EngineClient({ enginePath: join(root, 'dist-test', `bench-engine-${process.pid}`, 'main.js') });
  const raw = await ort.InferenceSession.create(model, { executionProviders: [ep] });
  try {
    const { modelId } = await client.call('open', { path: model });
    // Same values in both paths: the engine synthesizes normal(seed 0) per input; do the same here.
    const feeds: Record<string, ort.Tensor> = {};
    const first = await client.call('run', { modelId, providers: [ep], runs: 1, warmup: 3 });
    for (const [k, inp] of first.inputs.entries()) {
      const a = synthesize(inp.dtype as 'float32', inp.shape, 'normal', k);
      feeds[inp.name] = new ort.Tensor(inp.dtype as 'float32', a.data as Float32Array, inp.shape);
    }
    for (let i = 0; i < 3; i++) await raw.run(feeds);
    const engineTimes: number[] = [];
    const rawTimes: number[] = [];
    const rpcMs: number[] = [];
    const engineP95: number[] = [];
    const rawP95: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const t0 = performance.now();
      const s = await client.call('run', { modelId, providers: [ep], runs: per, warmup: 0 }, { timeoutMs: 0 });
      rpcMs.push(performance.now() - t0);
      // The engine reports per-block percentiles of its own run loop; the result is the median over blocks.
      engineTimes.push(s.latencyMs.p50);
      engineP95.push(s.latencyMs.p95);
      const times: number[] = [];
      for (let i = 0; i < per; i++) {
        const t = performance.now();
        await raw.run(feeds);
        times.push(performance.now() - t);
      }
      rawTimes.push(latencyStats(times).p50);
      rawP95.push(latencyStats(times).p95);
    }
    const engineP50 = median(engineTimes);
    const rawP50 = median(rawTimes);
    console.log(JSON.stringify({
      model: model.split(/[\\/]/).pop(),
      provider: first.provider,
      engineP50Ms: round(engineP50),
      rawP50Ms: round(rawP50),
      ratio: round(engineP50 / rawP50, 3),
      engineP95Ms: round(median(engineP95)),
      rawP95Ms: round(median(rawP95)),
      runs: per * blocks,
      engineRpcMsPerRun: round(median(rpcMs) / per),
    }));
  } finally {
    client.dispose();
    await raw.release();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(join(root, 'dist-test', `bench-engine-${process.pid}`), { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
