// `npm run bench -- saliency [model.onnx] [--method occlusion|rise|...] [--repeat N] [--ep cpu|webgpu|cuda|...]`: wall time of one explain call
// (method + deletion/insertion quality passes) against the same forward passes, with the same batch sizes, on a bare
// onnxruntime InferenceSession in this process, on the same execution provider (--ep, default cpu). The batch sizes are recorded from the runtime session our code used.
// Prints one line per method: {"model","method","passes","ms","rawForwardMs","ratio"}. Default model: a generated
// 3×64×64 CNN (make-cnn.ts) with real convolution work per pass, so the ratio shows our overhead against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { explainModel } from '../../src/explain/explain';
import { openModel } from '../../src/formats/registry';
import { sessions } from '../../src/runtime/load';
import type { ExplainMethod } from '../../src/protocol/explain';
import { makeCnn } from './make-cnn';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const positional = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
  const tmp = positional[0] ? undefined : mkdtempSync(join(tmpdir(), 'bench-saliency-'));
  const path = positional[0] ? resolve(positional[0]) : makeCnn(tmp!);
  const methods = (flag(args, 'method') ?? 'occlusion,rise').split(',') as ExplainMethod[];
  const repeat = Number(flag(args, 'repeat') ?? 3);
  const ep = flag(args, 'ep') ?? 'cpu';
  const model = await openModel(path);
  const { session } = await sessions.get(path, { providers: [ep] });
  const provider = session.provider;
  if (provider !== ep) throw new Error(`${ep} did not run here (${provider} would have): nothing to compare`);
  // Record every batch our code sends (shape of the explained input) without changing what runs.
  const batches: number[][] = [];
  const inner = session.run.bind(session);
  session.run = (feeds) => {
    const first = feeds.get(session.inputs[0].name);
    if (first) batches.push(first.shape.slice());
    return inner(feeds);
  };
  const raw = await ort.InferenceSession.create(path, { executionProviders: [ep] });
  const name = raw.inputNames[0];
  const inputs = new Map<string, ort.Tensor>();
  const rawInput = (s: number[]): ort.Tensor => {
    const key = s.join('x');
    let t = inputs.get(key);
    if (!t) inputs.set(key, (t = new ort.Tensor('float32', new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5), s)));
    return t;
  };
  for (const method of methods) {
    await explainModel(path, { methods: [method], model, providers: [ep], seed: 1 }); // warm-up
    let best = Infinity;
    let bestRaw = Infinity;
    let passes = 0;
    for (let r = 0; r < repeat; r++) {
      batches.length = 0;
      const t0 = performance.now();
      await explainModel(path, { methods: [method], model, providers: [ep], seed: 1 });
      best = Math.min(best, performance.now() - t0);
      const shapes = batches.slice();
      passes = shapes.reduce((a, s) => a + s[0], 0);
      // One input tensor per distinct batch shape, made once: fresh ~26 MB of feeds every repeat left garbage whose
      // collection landed in the next timed explain call, charging the raw loop's allocations to our side.
      const feeds = shapes.map((s) => ({ [name]: rawInput(s) }));
      const t1 = performance.now();
      for (const f of feeds) await raw.run(f);
      bestRaw = Math.min(bestRaw, performance.now() - t1);
    }
    console.log(JSON.stringify({ model: path, method, ep, passes, ms: +best.toFixed(2), rawForwardMs: +bestRaw.toFixed(2), ratio: +(best / bestRaw).toFixed(3) }));
  }
  await raw.release();
  await sessions.clear();
  await model.dispose?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
