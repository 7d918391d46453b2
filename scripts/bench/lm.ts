// `npm run bench -- lm`: language models against the raw runtimes, in one run (ratios; targets from issue 19):
// - an ONNX LM's prompt run (tokens' log-probabilities + next-token top-k) vs raw session.run of the same feeds (≤ 1.05)
// - occlusion and Shapley token attribution vs the batched forward passes they need, run raw (≤ 1.15)
// - GGUF prompt evaluation and greedy generation vs node-llama-cpp called directly with the same context (≤ 1.1)
// Models: the tests' tiny llama (ONNX and GGUF) and a wider ONNX LM made here (bench/make-lm.py via lm-models).
import * as ort from 'onnxruntime-node';
import { openModel } from '../../src/formats/registry';
import { sessions } from '../../src/runtime/load';
import { openLanguageModel, promptIds } from '../../src/runtime/lm/open';
import { runPrompt } from '../../src/runtime/lm/run-prompt';
import { explainPrompt } from '../../src/explain/token-attribution';
import type { TensorTokenModel } from '../../src/runtime/lm/tensor-token-model';
import { tinyLlamaModel } from '../../test/support/lm-models';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Best-of style timing: `rounds` interleaved measurements of each function, medians compared. */
async function compare(rounds: number, fns: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const f of Object.values(fns)) await f(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [k, f] of Object.entries(fns)) {
      const t = performance.now();
      await f();
      times[k].push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export async function run(args: string[]): Promise<void> {
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 15);
  const m = await tinyLlamaModel();
  const prompt = m.prompts.join(' ').slice(0, 400);

  // ONNX prompt run vs raw session.run on the same feeds.
  const onnx = await openModel(m.onnx);
  const opened = await openLanguageModel(onnx, { providers: ['cpu'] });
  const ids = await promptIds(onnx, opened, prompt);
  const raw = await ort.InferenceSession.create(m.onnx, { executionProviders: ['cpu'] });
  const feeds = (opened.lm as TensorTokenModel).feeds([ids]);
  const ortFeeds = Object.fromEntries([...feeds].map(([k, a]) => [k, new ort.Tensor(a.dtype as 'int64', a.data as BigInt64Array, a.shape)]));
  const t1 = await compare(rounds, {
    raw: () => raw.run(ortFeeds),
    ours: () => runPrompt(onnx, { prompt, top: 10, providers: ['cpu'] }),
  });
  console.log(JSON.stringify({ bench: 'onnx-prompt-run', tokens: ids.length, rawMs: t1.raw, oursMs: t1.ours, ratio: t1.ours / t1.raw, target: 1.05 }));

  // Token attribution vs the same number of batched passes, raw. The method's passes plus the deletion/insertion
  // curves' (2·(T+1)) and the first pass: all are forward passes of T tokens in batches of maxBatch.
  const short = m.prompts[0];
  const shortIds = await promptIds(onnx, opened, short);
  const batch = opened.lm.maxBatch;
  // The passes as the method makes them: the prompt (its prediction picks the target), the method's perturbations,
  // then the deletion/insertion curves (they need the scores): three rounds of batches, each split at maxBatch.
  const rawRound = async (n: number) => {
    for (let i = 0; i < n; i += batch) {
      const b = Math.min(batch, n - i);
      const f = (opened.lm as TensorTokenModel).feeds(Array.from({ length: b }, () => shortIds));
      await raw.run(Object.fromEntries([...f].map(([k, a]) => [k, new ort.Tensor(a.dtype as 'int64', a.data as BigInt64Array, a.shape)])));
    }
  };
  for (const method of ['occlusion', 'shapley'] as const) {
    const probe = await explainPrompt(onnx, { prompt: short, method, providers: ['cpu'] });
    const curves = 2 * (shortIds.length + 1);
    const passes = probe.passes + curves + 1;
    const t = await compare(Math.max(3, Math.floor(rounds / 3)), {
      raw: async () => {
        await rawRound(1);
        await rawRound(probe.passes);
        await rawRound(curves);
      },
      ours: () => explainPrompt(onnx, { prompt: short, method, providers: ['cpu'] }),
    });
    console.log(JSON.stringify({ bench: `onnx-${method}`, tokens: shortIds.length, passes, batch, rawMs: t.raw, oursMs: t.ours, ratio: t.ours / t.raw, target: 1.15 }));
  }
  await raw.release();
  await sessions.release(onnx);

  // GGUF: prompt evaluation and generation vs node-llama-cpp directly, same context options and threads.
  const gguf = await openModel(m.gguf);
  const g = await openLanguageModel(gguf, { providers: ['cpu'] });
  const gIds = await promptIds(gguf, g, prompt);
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const lm = await llama.loadModel({ modelPath: m.gguf, gpuLayers: 0 });
  const ctx = await lm.createContext({ contextSize: g.lm.contextLength, batchSize: Math.min(512, g.lm.contextLength ?? 512), threads: Math.min(llama.cpuMathCores, (await import('node:os')).availableParallelism()), flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
  const seq = ctx.getSequence();
  const all = gIds.map((id) => [id, { generateNext: { probabilities: true } }]);
  const t3 = await compare(rounds, {
    raw: async () => {
      await seq.clearHistory();
      await seq.controlledEvaluate(all as never);
    },
    ours: () => runPrompt(gguf, { prompt, top: 10 }),
  });
  console.log(JSON.stringify({ bench: 'gguf-prompt', tokens: gIds.length, rawMs: t3.raw, oursMs: t3.ours, ratio: t3.ours / t3.raw, target: 1.1 }));
  const n = 32;
  const start = gIds.slice(0, 8);
  const t4 = await compare(Math.max(3, Math.floor(rounds / 3)), {
    raw: async () => {
      await seq.clearHistory();
      let items: unknown[] = start.map((id, k) => (k === start.length - 1 ? [id, { generateNext: { probabilities: true } }] : id));
      for (let k = 0; k < n; k++) {
        const res = await seq.controlledEvaluate(items as never);
        const probs = res[items.length - 1]!.next.probabilities!;
        const [id] = probs.entries().next().value as [number, number];
        items = [[id, { generateNext: { probabilities: true } }]];
      }
    },
    ours: () => g.lm.generate(start, n),
  });
  console.log(JSON.stringify({ bench: 'gguf-generate', tokens: n, rawMs: t4.raw, oursMs: t4.ours, ratio: t4.ours / t4.raw, target: 1.1 }));
  await ctx.dispose();
  await lm.dispose();
  await sessions.release(gguf);
}
