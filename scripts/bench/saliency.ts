// `npm run bench -- saliency [model.onnx] [--method occlusion|rise|...] [--repeat N] [--ep cpu|webgpu|cuda|...] [--widen K]`: wall time of one explain call
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
  const path = positional[0] ? resolve(positional[0]) : makeCnn(tmp!, 'bench-cnn.onnx', Number(flag(args, 'widen') ?? 1));
  const methods = (flag(args, 'method') ?? 'occlusion,rise').split(',') as ExplainMethod[];
  const repeat = Number(flag(args, 'repeat') ?? 3);
  const ep = flag(args, 'ep') ?? 'cpu';
  const model = await openModel(path);
  for (const method of methods) {
    // Phase 1, ours: the session our runtime layer loads (warm-up call), then the timed explain calls. The raw session
    // does not exist yet: two live sessions' thread pools slow each other (measured: a bare session ran 40% slower
    // here, and 3x slower on 16 cores, while ours was loaded), which would flatter whichever side is measured second.
    const { session } = await sessions.get(path, { providers: [ep] });
    if (session.provider !== ep) throw new Error(`${ep} did not run here (${session.provider} would have): nothing to compare`);
    // Record every batch our code sends (shape of the explained input) without changing what runs.
    const batches: number[][] = [];
    const inner = session.run.bind(session);
    session.run = (feeds) => {
      const first = feeds.get(session.inputs[0].name);
      if (first) batches.push(first.shape.slice());
      return inner(feeds);
    };
    await explainModel(path, { methods: [method], model, providers: [ep], seed: 1 }); // warm-up
    let best = Infinity;
    for (let r = 0; r < repeat; r++) {
      batches.length = 0;
      const t0 = performance.now();
      await explainModel(path, { methods: [method], model, providers: [ep], seed: 1 });
      best = Math.min(best, performance.now() - t0);
    }
    const shapes = batches.slice();
    const passes = shapes.reduce((a, s) => a + s[0], 0);
    await sessions.clear();
    // Phase 2, raw: a bare session with default options, the same batch shapes, one input tensor per distinct shape
    // made once (fresh feeds every repeat leave garbage whose collection lands in the next timed loop).
    const raw = await ort.InferenceSession.create(path, { executionProviders: [ep] });
    const name = raw.inputNames[0];
    const inputs = new Map<string, ort.Tensor>();
    const feeds = shapes.map((s) => {
      const key = s.join('x');
      if (!inputs.has(key)) inputs.set(key, new ort.Tensor('float32', new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5), s));
      return { [name]: inputs.get(key)! };
    });
    for (const f of new Set(feeds)) await raw.run(f); // warm-up, as ours had
    let bestRaw = Infinity;
    for (let r = 0; r < repeat; r++) {
      const t1 = performance.now();
      for (const f of feeds) await raw.run(f);
      bestRaw = Math.min(bestRaw, performance.now() - t1);
    }
    await raw.release();
    console.log(JSON.stringify({ model: path, method, ep, passes, ms: +best.toFixed(2), rawForwardMs: +bestRaw.toFixed(2), ratio: +(best / bestRaw).toFixed(3) }));
  }
  await sessions.clear();
  await model.dispose?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
