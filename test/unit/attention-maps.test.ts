// Attention maps and the logit lens on transformers built with torch (test/support/attention/transformers.py): every
// layer's and head's probabilities equal torch's attention weights, every block's lens logits equal torch's
// head(final_norm(h_l)); fused attention and GGUF get a sentence; the CLI's public JSON and --out maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attentionModels, CONFIGS, torchUnavailable } from '../support/attention-models';
import { openModel } from '../../src/formats/registry';
import type { Model } from '../../src/model/graph';
import { parseNpy } from '../../src/formats/arrays/npy';
import { attentionHead, attentionMaps, preparePrompt, readLayers } from '../../src/runtime/lm/attention';
import { findAttention } from '../../src/runtime/lm/attention-pattern';
import { lensLogits, logitLens } from '../../src/runtime/lm/lens';
import { planLens } from '../../src/runtime/lm/lens-pattern';
import { summarizeHead } from '../../src/runtime/lm/attention-summary';
import { runCli } from '../../src/cli';
import { releaseModel } from '../../src/runtime/run-model';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';

const skip = torchUnavailable();

async function withModel<T>(file: string, fn: (m: Model) => Promise<T>): Promise<T> {
  const m = await openModel(file);
  try {
    return await fn(m);
  } finally {
    await releaseModel(m);
    await m.dispose?.();
  }
}

const npy = (file: string) => parseNpy(file, readFileSync(file));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

for (const name of CONFIGS) {
  test(`${name}: every layer's and head's attention equals torch's weights within 1e-5`, { skip }, async () => {
    const dir = join(attentionModels(), name);
    const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
    const prompt = ids.join(' ');
    await withModel(join(dir, 'model.onnx'), async (m) => {
      const p = await preparePrompt(m, { prompt });
      assert.ok(!('unavailable' in p), 'unavailable' in p ? p.unavailable : '');
      const layers = Number(name.slice(1, 2));
      assert.equal(p.sites.length, layers, 'one attention site per layer, found by pattern');
      let worst = 0;
      let seen = 0;
      await readLayers(m, p, p.sites, { prompt }, (x) => {
        const ref = npy(join(dir, `attn_${x.site.index}.npy`));
        assert.deepEqual([x.heads, x.rows, x.cols], ref.shape);
        const d = ref.data as Float32Array;
        for (let i = 0; i < d.length; i++) worst = Math.max(worst, Math.abs(d[i] - x.data[i]));
        seen++;
      });
      assert.equal(seen, layers);
      console.log(`${name}: ${layers} layers, max |onnx - torch| attention ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-5, `max difference ${worst}`);
    });
  });

  test(`${name}: the logit lens's per-layer logits equal torch's head(final_norm(h_l)) within 1e-4`, { skip }, async () => {
    const dir = join(attentionModels(), name);
    const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
    await withModel(join(dir, 'model.onnx'), async (m) => {
      const r = await lensLogits(m, { prompt: ids.join(' ') });
      assert.ok(!('unavailable' in r), 'unavailable' in r ? r.unavailable : '');
      const ref = npy(join(dir, 'lens.npy'));
      const [layers, t, v] = ref.shape;
      assert.equal(r.logits.length, layers);
      assert.equal(r.vocab, v);
      const d = ref.data as Float32Array;
      let worst = 0;
      for (let l = 0; l < layers; l++) {
        assert.equal(r.logits[l].length, t * v);
        for (let i = 0; i < t * v; i++) worst = Math.max(worst, Math.abs(d[l * t * v + i] - r.logits[l][i]));
      }
      console.log(`${name}: norm ${r.plan.norm}, unembedding ${r.plan.unembedding}, max |onnx - torch| lens logits ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-4, `max difference ${worst}`);
    });
  });
}

test('a com.microsoft Attention model gets a sentence saying why there are no maps, not an error', { skip }, async () => {
  const file = join(attentionModels(), 'fused', 'model.onnx');
  await withModel(file, async (m) => {
    const r = await attentionMaps(m, { prompt: '1 2 3' });
    assert.equal(r.layers.length, 0);
    assert.match(r.unavailable ?? '', /fused kernels \(1 com\.microsoft Attention node\).*do not output their attention probabilities/);
  });
  const { code, out } = await cli(['attention', file, '--prompt', '1 2 3', '--json']);
  assert.equal(code, 0);
  assert.match(JSON.parse(out).unavailable, /com\.microsoft Attention/);
});

test('GGUF and other formats: the sentences say why, from the model alone', () => {
  const gguf = { format: 'gguf', path: 'x.gguf' } as unknown as Model;
  const r = findAttention(gguf);
  assert.ok('unavailable' in r && /llama\.cpp .* exposes no attention probabilities/.test(r.unavailable));
  assert.match(planLens(gguf, 'logits') as string, /llama\.cpp exposes no residual stream/);
});

test('attention --json --out: public JSON and each layer\'s [H, T, T] maps as .npy, equal to torch\'s', { skip }, async () => {
  const dir = join(attentionModels(), 'l2-bidir');
  const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
  const out = mkdtempSync(join(tmpdir(), 'attention-cli-'));
  try {
    const { code, out: text } = await cli(['attention', join(dir, 'model.onnx'), '--prompt', ids.join(' '), '--out', out, '--json']);
    assert.equal(code, 0);
    const json = JSON.parse(text);
    assert.deepEqual(json.tokens.map((t: { id: number }) => t.id), ids);
    assert.equal(json.layers.length, 2);
    for (const l of json.layers) {
      assert.equal(typeof l.index, 'number');
      assert.match(l.node, /Softmax/);
      assert.equal(l.heads.length, 2);
      for (const h of l.heads) for (const k of ['entropy', 'firstToken', 'prevToken', 'induction']) assert.equal(typeof h[k], 'number', k);
    }
    assert.equal(json.thumbs, undefined, 'thumbnails are the panel\'s, not the CLI\'s');
    assert.deepEqual(readdirSync(out).sort(), ['layer_0.npy', 'layer_1.npy']);
    for (const l of [0, 1]) {
      const got = npy(join(out, `layer_${l}.npy`));
      const ref = npy(join(dir, `attn_${l}.npy`));
      assert.deepEqual(got.shape, ref.shape);
      const a = got.data as Float32Array;
      const b = ref.data as Float32Array;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5);
      // the summaries in the JSON are those of the written maps
      const [, t] = got.shape;
      const s = summarizeHead(a.subarray(0, t * t), t, t, ids);
      assert.ok(Math.abs(s.entropy - json.layers[l].heads[0].entropy) < 1e-9);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('lens --json --target: public JSON; the last layer is the model\'s own prediction', { skip }, async () => {
  const dir = join(attentionModels(), 'l6-causal');
  const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
  const ref = npy(join(dir, 'lens.npy'));
  const [layers, t, v] = ref.shape;
  const d = ref.data as Float32Array;
  // torch's last-layer top-1 at the last position is the target: its rank there must be 1
  const lastRow = d.subarray(((layers - 1) * t + t - 1) * v, ((layers - 1) * t + t) * v);
  const top = lastRow.indexOf(Math.max(...lastRow));
  const { code, out } = await cli(['lens', join(dir, 'model.onnx'), '--prompt', ids.join(' '), '--target', String(top), '--json']);
  assert.equal(code, 0);
  const json = JSON.parse(out);
  assert.equal(json.tokens.length, t);
  assert.equal(json.layers.length, layers);
  for (const [k, l] of json.layers.entries()) {
    assert.equal(l.index, k);
    assert.equal(l.top.length, t);
    for (const [i, e] of l.top.entries()) {
      assert.deepEqual(Object.keys(e).sort(), ['id', 'p', 'position', 'text']);
      assert.equal(e.position, i);
      // the top-1 is torch's argmax of head(final_norm(h_l)) at that position
      const row = d.subarray((k * t + i) * v, (k * t + i + 1) * v);
      assert.equal(e.id, row.indexOf(Math.max(...row)));
    }
    assert.ok(l.target.p > 0 && l.target.p <= 1 && l.target.rank >= 1);
  }
  assert.equal(json.layers[layers - 1].target.rank, 1);
  assert.equal(json.target.id, top);
});

test('one head\'s map for the panel: the same weights, quantised to 1/65535', { skip }, async () => {
  const dir = join(attentionModels(), 'l6-causal');
  const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
  await withModel(join(dir, 'model.onnx'), async (m) => {
    for (const cached of [true, false]) {
      // first after attentionMaps (kept maps), then with another prompt key (read again)
      if (cached) await attentionMaps(m, { prompt: ids.join(' ') });
      const r = await attentionHead(m, { prompt: ids.join(' '), layer: 3, head: 2, ...(cached ? {} : { providers: ['cpu'] }) });
      const q = new Uint16Array(new Uint8Array(Buffer.from(r.weights, 'base64')).buffer);
      const ref = npy(join(dir, 'attn_3.npy'));
      const t = ids.length;
      assert.equal(q.length, t * t);
      const want = (ref.data as Float32Array).subarray(2 * t * t, 3 * t * t);
      for (let i = 0; i < q.length; i++) assert.ok(Math.abs(q[i] / 65535 - want[i]) <= 1 / 65535 + 1e-6);
    }
    await assert.rejects(attentionHead(m, { prompt: ids.join(' '), layer: 9, head: 0 }), /layer 9 does not exist: the model has 6 attention layers/);
  });
});

test('head summaries: exact values on maps whose behaviour is known', () => {
  const t = 6;
  const ids = [1, 2, 3, 1, 2, 3]; // "A B C A B C": positions 3..5 repeat 0..2
  const map = (f: (i: number) => number) => {
    const a = new Float32Array(t * t);
    for (let i = 0; i < t; i++) a[i * t + f(i)] = 1;
    return a;
  };
  const prev = summarizeHead(map((i) => Math.max(0, i - 1)), t, t, ids);
  assert.equal(prev.prevToken, 1);
  assert.equal(prev.entropy, 0);
  assert.match(prev.role, /previous-token head: 100%/);
  const sink = summarizeHead(map(() => 0), t, t, ids);
  assert.equal(sink.firstToken, 1);
  assert.match(sink.role, /first token/);
  // induction: at i = 3 (A again) look at 1 (the B after the first A); at 4 → 2, at 5 → 3
  const ind = summarizeHead(map((i) => (i >= 3 ? i - 2 : i)), t, t, ids);
  assert.equal(ind.induction, 1);
  assert.match(ind.role, /induction head/);
  // uniform causal rows: entropy is the mean of ln(i + 1)
  const u = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = 0; j <= i; j++) u[i * t + j] = 1 / (i + 1);
  const s = summarizeHead(u, t, t, ids);
  const want = Array.from({ length: t }, (_, i) => Math.log(i + 1)).reduce((a, b) => a + b) / t;
  assert.ok(Math.abs(s.entropy - want) < 1e-6);
});

test('logitLens: a target that is not one token is a clear error', { skip }, async () => {
  const dir = join(attentionModels(), 'l1-causal');
  await withModel(join(dir, 'model.onnx'), async (m) => {
    await assert.rejects(logitLens(m, { prompt: '1 2', target: 'hello world' }), /model\.onnx: the target "hello world" is not one token/);
  });
});

/** input_ids → embedding → Q, K, V → ONNX Attention (opset 23, 2 heads, causal) → logits; with or without its probabilities output. */
function attention23(dir: string, name: string, probs: boolean) {
  const [v, d, heads] = [11, 8, 2];
  const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + i * 1.7) * 0.8);
  const w = { emb: rnd(v * d, 1), wq: rnd(d * d, 2), wk: rnd(d * d, 3), wv: rnd(d * d, 4), out: rnd(d * v, 5) };
  const b = new OnnxBuilder().opset('', 23);
  b.irVersion = 10;
  b.input('input_ids', 'int64', ['batch', 'seq'])
    .initializer('emb', 'float32', [v, d], w.emb).initializer('wq', 'float32', [d, d], w.wq).initializer('wk', 'float32', [d, d], w.wk)
    .initializer('wv', 'float32', [d, d], w.wv).initializer('out', 'float32', [d, v], w.out)
    .node('Gather', ['emb', 'input_ids'], ['x'])
    .node('MatMul', ['x', 'wq'], ['q']).node('MatMul', ['x', 'wk'], ['k']).node('MatMul', ['x', 'wv'], ['v'])
    .node('Attention', ['q', 'k', 'v'], probs ? ['y', '', '', 'probs'] : ['y'], { q_num_heads: heads, kv_num_heads: heads, is_causal: 1, ...(probs ? { qk_matmul_output_mode: 3 } : {}) }, { name: 'attn' })
    .node('MatMul', ['y', 'out'], ['logits'])
    .output('logits', 'float32', ['batch', 'seq', v]);
  return { file: writeModel(dir, name, b), w, d, heads };
}

test('ONNX Attention (opset 23): its probabilities output is read when it has one, else a sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'attention-23-'));
  try {
    const ids = [3, 1, 4, 1, 5, 9];
    const t = ids.length;
    const { file, w, d, heads } = attention23(dir, 'with.onnx', true);
    await withModel(file, async (m) => {
      const r = await attentionMaps(m, { prompt: ids.join(' ') });
      assert.equal(r.unavailable, undefined);
      assert.equal(r.layers.length, 1);
      assert.equal(r.layers[0].node, 'attn');
      const h = await attentionHead(m, { prompt: ids.join(' '), layer: 0, head: 1 });
      const q16 = new Uint16Array(new Uint8Array(Buffer.from(h.weights, 'base64')).buffer);
      // the reference, computed here: softmax(q kᵀ / √dh) over keys j ≤ i, for head 1's slice of the hidden size
      const dh = d / heads;
      const x = ids.map((id) => w.emb.slice(id * d, (id + 1) * d));
      const proj = (wm: number[]) => x.map((row) => Array.from({ length: d }, (_, c) => row.reduce((s, xv, r) => s + xv * wm[r * d + c], 0)));
      const [q, k] = [proj(w.wq), proj(w.wk)];
      for (let i = 0; i < t; i++) {
        const s = Array.from({ length: i + 1 }, (_, j) => q[i].slice(dh, 2 * dh).reduce((a, qv, c) => a + qv * k[j][dh + c], 0) / Math.sqrt(dh));
        const mx = Math.max(...s);
        const z = s.reduce((a, b) => a + Math.exp(b - mx), 0);
        for (let j = 0; j < t; j++) {
          const want = j <= i ? Math.exp(s[j] - mx) / z : 0;
          assert.ok(Math.abs(q16[i * t + j] / 65535 - want) < 2e-5, `[${i}, ${j}] ${q16[i * t + j] / 65535} vs ${want}`);
        }
      }
    });
    const without = attention23(dir, 'without.onnx', false).file;
    await withModel(without, async (m) => {
      const r = await attentionMaps(m, { prompt: ids.join(' ') });
      assert.match(r.unavailable ?? '', /1 Attention \(ONNX opset 23, without its probabilities output\) node/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
