// One tiny llama model written by the tests as ONNX and as GGUF (F32): llama.cpp (exact attention, F32 KV cache)
// and onnxruntime must give the same next-token distributions, and the tokenizer.json and the GGUF's vocabulary
// the same ids. llama.cpp's default context (flash attention in F16) is measured and reported, not held to 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../src/formats/registry';
import type { Model } from '../../src/model/graph';
import { openLanguageModel, promptIds } from '../../src/runtime/lm/open';
import { sessions } from '../../src/runtime/load';
import { runPrompt } from '../../src/runtime/lm/run-prompt';
import { lmModelsUnavailable, tinyLlamaModel } from '../support/lm-models';

const skip = lmModelsUnavailable();

async function withModels<T>(fn: (onnx: Model, gguf: Model, prompts: string[], dir: string) => Promise<T>): Promise<T> {
  const m = await tinyLlamaModel();
  const onnx = await openModel(m.onnx);
  const gguf = await openModel(m.gguf);
  try {
    return await fn(onnx, gguf, m.prompts, m.dir);
  } finally {
    await sessions.release(onnx);
    await sessions.release(gguf);
    await onnx.dispose?.();
    await gguf.dispose?.();
  }
}

test('llama.cpp and onnxruntime agree on 20 prompts: same ids, top-5 identical, |Δp| within 1e-4', { skip }, async () => {
  await withModels(async (onnx, gguf, prompts) => {
    assert.equal(prompts.length, 20);
    const o = await openLanguageModel(onnx, { providers: ['cpu'] });
    const g = await openLanguageModel(gguf, { providers: ['cpu'] });
    assert.match(o.tokenizer.source, /tokenizer\.json/);
    assert.ok(g.lm.tokenizer, 'the GGUF carries its own vocabulary');
    let maxDp = 0;
    for (const prompt of prompts) {
      const ids = await promptIds(onnx, o, prompt);
      // The tokenizer.json and llama.cpp's reading of the GGUF vocabulary must agree token for token.
      assert.deepEqual(await g.lm.tokenizer!.encode(prompt), ids, `ids of ${JSON.stringify(prompt)}`);
      const [po] = await o.lm.evaluate([ids]);
      const [pg] = await g.lm.evaluate([ids]);
      const top = (lp: Float32Array) => Array.from(lp.keys()).sort((a, b) => lp[b] - lp[a]).slice(0, 5);
      assert.deepEqual(top(pg.next), top(po.next), `top-5 of ${JSON.stringify(prompt)}`);
      for (let i = 0; i < po.next.length; i++) maxDp = Math.max(maxDp, Math.abs(Math.exp(po.next[i]) - Math.exp(pg.next[i])));
    }
    console.log(`llama.cpp (no flash attention, F32 KV cache) vs onnxruntime over 20 prompts: max |Δp| = ${maxDp.toExponential(2)}`);
    assert.ok(maxDp < 1e-4, `max |Δp| ${maxDp}`);
  });
});

test('llama.cpp default context (flash attention, F16 KV cache) differs more: measured and reported', { skip }, async () => {
  const m = await tinyLlamaModel();
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: m.gguf, gpuLayers: 0 });
  const ctx = await model.createContext({ contextSize: 256, threads: 1 });
  const onnx = await openModel(m.onnx);
  try {
    const o = await openLanguageModel(onnx, { providers: ['cpu'] });
    const seq = ctx.getSequence();
    let maxDp = 0;
    for (const prompt of m.prompts) {
      const ids = await promptIds(onnx, o, prompt);
      await seq.clearHistory();
      const res = await seq.controlledEvaluate(ids.map((id, k) => (k === ids.length - 1 ? [id, { generateNext: { probabilities: true } }] : id)) as never);
      const probs = res[ids.length - 1]!.next.probabilities!;
      const [po] = await o.lm.evaluate([ids]);
      for (let i = 0; i < po.next.length; i++) maxDp = Math.max(maxDp, Math.abs(Math.exp(po.next[i]) - (probs.get(i as never) ?? 0)));
    }
    console.log(`llama.cpp default context vs onnxruntime over 20 prompts: max |Δp| = ${maxDp.toExponential(2)} (why the backend turns flash attention off and keeps the KV cache in F32)`);
    assert.ok(maxDp > 0 && maxDp < 0.05, `default-context max |Δp| ${maxDp}`);
  } finally {
    await ctx.dispose();
    await model.dispose();
    await sessions.release(onnx);
    await onnx.dispose?.();
  }
});

test('runPrompt on both: the same tokens, log-probabilities and greedy continuation; the result names what ran', { skip }, async () => {
  await withModels(async (onnx, gguf, prompts) => {
    const prompt = prompts[3];
    const a = await runPrompt(onnx, { prompt, top: 5, generate: 4, providers: ['cpu'] });
    const b = await runPrompt(gguf, { prompt, top: 5, generate: 4 });
    assert.equal(a.provider, 'cpu');
    assert.equal(b.provider, 'cpu'); // no GPU here: every skipped build says why
    for (const s of b.skipped) assert.ok(s.reason.length > 20, `a reason for ${s.provider}: ${s.reason}`);
    assert.deepEqual(b.tokens.map((t) => t.id), a.tokens.map((t) => t.id));
    assert.equal(a.tokens[0].logprob, null);
    for (let k = 1; k < a.tokens.length; k++) assert.ok(Math.abs(a.tokens[k].logprob! - b.tokens[k].logprob!) < 1e-3, `token ${k}`);
    assert.deepEqual(b.next.map((t) => t.id), a.next.map((t) => t.id));
    assert.deepEqual(b.generated!.map((t) => t.id), a.generated!.map((t) => t.id));
    assert.equal(a.generated!.length, 4);
  });
});

test('an Optimum-shaped export (attention_mask, position_ids, past_key_values.*) runs with an empty past and matches the plain export', { skip }, async () => {
  const m = await tinyLlamaModel();
  const plain = await openModel(m.onnx);
  const optimum = await openModel(m.optimum);
  try {
    assert.ok(optimum.graph.inputs.some((n) => n.startsWith('past_key_values.')), 'the fixture has past inputs');
    for (const prompt of m.prompts.slice(0, 5)) {
      const a = await runPrompt(plain, { prompt, top: 5, providers: ['cpu'] });
      const b = await runPrompt(optimum, { prompt, top: 5, providers: ['cpu'] });
      assert.deepEqual(b.next.map((t) => t.id), a.next.map((t) => t.id));
      for (let k = 0; k < 5; k++) assert.ok(Math.abs(a.next[k].p - b.next[k].p) < 1e-5);
    }
  } finally {
    for (const x of [plain, optimum]) {
      await sessions.release(x);
      await x.dispose?.();
    }
  }
});
