// `npm run bench -- saliency [model.onnx] [--method occlusion|rise|...] [--repeat N] [--rounds R] [--warmup W] [--ep cpu|webgpu|cuda|...] [--widen K]`: wall time of one explain call
// (method + deletion/insertion quality passes) against the same forward passes, with the same batch sizes, on a bare
// onnxruntime InferenceSession in this process, on the same execution provider (--ep, default cpu). The batch sizes are
// recorded from the runtime session our code used. Each side's time is its best over R rounds (default 3) of N calls
// (default 8) after W warm-up calls (default 3), the rounds alternating ours and raw. Prints one line per method:
// {"model","method","ep","passes","ms","rawForwardMs","ratio"}. Default model: a generated 3×64×64 CNN (make-cnn.ts)
// with real convolution work per pass, so the ratio shows our overhead against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { explainModel } from '../../src/explain/explain';
import { openModel } from '../../src/formats/registry';
import { sessions } from '../../src/runtime/load';
import type { ExplainMethod } from '../../src/protocol/explain';
import type { Model } from '../../src/model/graph';
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
  const repeat = Number(flag(args, 'repeat') ?? 8);
  const rounds = Number(flag(args, 'rounds') ?? 3);
  const warmup = Number(flag(args, 'warmup') ?? 3);
  const ep = flag(args, 'ep') ?? 'cpu';
  const model = await openModel(path);
  for (const method of methods) {
    // Rounds alternate the two sides (ours, then raw), so a machine that speeds up or slows down during the run (a
    // shared host does) weighs on both; each side keeps its best time over all rounds.
    let best = Infinity;
    let bestRaw = Infinity;
    let shapes: number[][] = [];
    for (let round = 0; round < rounds; round++) {
      const ours = await timeOurs(model, method, ep, warmup, repeat);
      best = Math.min(best, ours.ms);
      shapes = ours.shapes;
      bestRaw = Math.min(bestRaw, await timeRaw(path, ep, shapes, warmup, repeat));
    }
    const passes = shapes.reduce((a, s) => a + s[0], 0);
    console.log(JSON.stringify({ model: path, method, ep, passes, ms: +best.toFixed(2), rawForwardMs: +bestRaw.toFixed(2), ratio: +(best / bestRaw).toFixed(3) }));
  }
  await model.dispose?.();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

/**
 * Ours: the session our runtime layer loads, `warmup` untimed calls (measured: the first few calls after a session
 * load or after the raw side ran are 10-40% slower while the JIT and wasm tiers and the heap settle), then the timed
 * explain calls; the session is released
 * before the raw side loads: two live sessions' thread pools slow each other (measured: a bare session ran 40% slower
 * here, and 3x slower on 16 cores, while ours was loaded), which would flatter whichever side is measured second.
 * Also returns the batch shapes our code sent, for the raw side to repeat.
 */
async function timeOurs(model: Model, method: ExplainMethod, ep: string, warmup: number, repeat: number): Promise<{ ms: number; shapes: number[][] }> {
  const { session } = await sessions.get(model, { providers: [ep] });
  if (session.provider !== ep) throw new Error(`${ep} did not run here (${session.provider} would have): nothing to compare`);
  // Record every batch our code sends (shape of the explained input) without changing what runs.
  const batches: number[][] = [];
  const inner = session.run!.bind(session);
  session.run = (feeds) => {
    const first = feeds.get(session.inputs[0].name);
    if (first) batches.push(first.shape.slice());
    return inner(feeds);
  };
  for (let w = 0; w < warmup; w++) await explainModel(model, { methods: [method], providers: [ep], seed: 1 });
  let best = Infinity;
  let shapes: number[][] = [];
  for (let r = 0; r < repeat; r++) {
    batches.length = 0;
    const t0 = performance.now();
    await explainModel(model, { methods: [method], providers: [ep], seed: 1 });
    best = Math.min(best, performance.now() - t0);
    shapes = batches.slice();
  }
  await sessions.clear();
  return { ms: best, shapes };
}

/**
 * Raw: a bare session with default options, the same batch shapes, one input tensor per distinct shape made once
 * (fresh feeds every repeat leave garbage whose collection lands in the next timed loop).
 */
async function timeRaw(path: string, ep: string, shapes: number[][], warmup: number, repeat: number): Promise<number> {
  const raw = await ort.InferenceSession.create(path, { executionProviders: [ep] });
  const name = raw.inputNames[0];
  const inputs = new Map<string, ort.Tensor>();
  const feeds = shapes.map((s) => {
    const key = s.join('x');
    if (!inputs.has(key)) inputs.set(key, new ort.Tensor('float32', new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.5), s));
    return { [name]: inputs.get(key)! };
  });
  for (let w = 0; w < warmup; w++) for (const f of feeds) await raw.run(f); // as many warm-up rounds as ours had
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t1 = performance.now();
    for (const f of feeds) await raw.run(f);
    best = Math.min(best, performance.now() - t1);
  }
  await raw.release();
  return best;
}
