// Cross-runtime check for the tiny llama model that llama_tiny.py writes: llama.cpp (node-llama-cpp) loads the
// GGUF, its vocabulary tokenizes like the tokenizer.json, and its next-token distributions agree with
// onnxruntime's on model.onnx (and model-optimum.onnx fed an empty past). Also that llama.cpp refuses
// unknown-arch.gguf. Prints one JSON summary; exits 1 when a check fails.
//   node test/support/lm/check-llama.mjs <dir written by llama_tiny.py>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: check-llama.mjs DIR');
const { Tokenizer } = await import('@huggingface/tokenizers');
const ort = await import('onnxruntime-node');
const { getLlama } = await import('node-llama-cpp');

const read = (f) => JSON.parse(readFileSync(join(dir, f), 'utf8'));
const tokenizer = new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
const prompts = read('prompts.json');
const failures = [];

const softmax = (row) => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const top = (p, k) => [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, k);

async function ortNext(session, ids, optimum) {
  const t = ids.length;
  const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, t]) };
  if (optimum) {
    feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(t).fill(1n), [1, t]);
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids.keys(), BigInt), [1, t]);
    for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
      const meta = session.inputMetadata?.find?.((m) => m.name === name);
      const kv = meta?.shape?.[1] ?? optimum.kvHeads;
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, kv, 0, optimum.headDim]);
    }
  }
  const out = await session.run(feeds);
  const logits = out.logits;
  const v = logits.dims[2];
  return softmax(Array.from(logits.data.subarray((t - 1) * v, t * v)));
}

const plain = await ort.InferenceSession.create(join(dir, 'model.onnx'));
const optimum = await ort.InferenceSession.create(join(dir, 'model-optimum.onnx'));
const llama = await getLlama({ build: 'never', gpu: false, usePrebuiltBinaries: true, skipDownload: true, logLevel: 'error' });
const model = await llama.loadModel({ modelPath: join(dir, 'model.gguf'), gpuLayers: 0 });
const vocab = model.tokens; // keep the object alive for bos etc.

// head_dim and kv heads for the empty past, from the GGUF metadata llama.cpp read
const meta = model.fileInfo.metadata.llama;
const headDim = meta.embedding_length / meta.attention.head_count;
const kvHeads = meta.attention.head_count_kv;

const settings = {
  exact: { contextSize: 256, threads: 1, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' },
  defaults: { contextSize: 256, threads: 1 }, // one thread: llama.cpp's spinning workers crawl on a busy 2-core machine
};
const summary = { tokenizerMismatches: 0, optimumMaxAbsDp: 0 };
const onnxProbs = [];
for (const prompt of prompts) {
  const hf = tokenizer.encode(prompt).ids;
  const cpp = Array.from(model.tokenize(prompt));
  if (JSON.stringify(hf) !== JSON.stringify(cpp)) {
    summary.tokenizerMismatches++;
    failures.push(`tokenize ${JSON.stringify(prompt)}: tokenizer.json ${JSON.stringify(hf)} vs GGUF ${JSON.stringify(cpp)}`);
  }
  const p = await ortNext(plain, hf, false);
  const po = await ortNext(optimum, hf, { kvHeads, headDim });
  for (let i = 0; i < p.length; i++) summary.optimumMaxAbsDp = Math.max(summary.optimumMaxAbsDp, Math.abs(p[i] - po[i]));
  onnxProbs.push({ prompt, ids: hf, p });
}
if (summary.optimumMaxAbsDp > 1e-5) failures.push(`model-optimum.onnx differs from model.onnx by ${summary.optimumMaxAbsDp}`);

for (const [name, options] of Object.entries(settings)) {
  const context = await model.createContext(options);
  const sequence = context.getSequence();
  let maxAbsDp = 0;
  let top5Mismatches = 0;
  for (const { prompt, ids, p } of onnxProbs) {
    await sequence.clearHistory();
    const items = [...ids.slice(0, -1), [ids.at(-1), { generateNext: { probabilities: true } }]];
    const res = await sequence.controlledEvaluate(items);
    const probs = res.at(-1).next.probabilities; // Map<token, p> over the whole vocabulary
    const q = new Array(p.length).fill(0);
    for (const [tok, pr] of probs) q[tok] = pr;
    for (let i = 0; i < p.length; i++) maxAbsDp = Math.max(maxAbsDp, Math.abs(p[i] - q[i]));
    if (JSON.stringify(top(p, 5)) !== JSON.stringify(top(q, 5))) {
      top5Mismatches++;
      if (name === 'exact') failures.push(`${name}: top-5 differ for ${JSON.stringify(prompt)}: onnx ${top(p, 5)} llama.cpp ${top(q, 5)}`);
    }
  }
  summary[name] = { options, maxAbsDp, top5Mismatches };
  if (name === 'exact' && maxAbsDp > 1e-4) failures.push(`${name}: max |dp| ${maxAbsDp} > 1e-4`);
  await context.dispose();
}
await model.dispose();

try {
  const bad = await llama.loadModel({ modelPath: join(dir, 'unknown-arch.gguf'), gpuLayers: 0 });
  await bad.dispose();
  failures.push('unknown-arch.gguf loaded');
} catch (e) {
  summary.unknownArchError = String(e.message ?? e);
}
await llama.dispose();
summary.prompts = prompts.length;
summary.failures = failures;
console.log(JSON.stringify(summary, null, 1));
process.exit(failures.length ? 1 : 0);
