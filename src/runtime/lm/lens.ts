import type * as Ort from 'onnxruntime-node';
import type { Model } from '../../model/graph';
import type { DType } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import { float16ToNumber } from '../../model/float-bits';
import type { NdArray } from '../../formats/arrays/ndarray';
import type { LensParams, LensResult } from '../../protocol/attention';
import { backendWith } from '../backends/registry';
import type * as OnnxSession from '../backends/onnxruntime/session';
import { oneLine } from '../../model/errors';
import { planLens, type LensPlan } from './lens-pattern';
import { lensHeadModel } from './lens-model';
import { openLanguageModel, promptIds, type OpenedLm } from './open';
import { lmSignature } from './signature';
import { TensorTokenModel } from './tensor-token-model';
import { logSoftmaxInto } from './token-model';

// onnxruntime loads on first use, as in the backend's descriptor: the engine process must not map it to open a model.
/* eslint-disable @typescript-eslint/no-require-imports */
const ort = () => require('onnxruntime-node') as typeof Ort;
const onnx = () => require('../backends/onnxruntime/session') as typeof OnnxSession;
/* eslint-enable @typescript-eslint/no-require-imports */

export interface LensOptions extends LensParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface LensLogits {
  plan: LensPlan;
  opened: OpenedLm;
  ids: number[];
  vocab: number;
  /** Per block: head(final_norm(h_l)) at every position, T × V row-major. */
  logits: Float32Array[];
}

function asFloat32(a: NdArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  if (a.dtype === 'float16') return Float32Array.from(a.data as Uint16Array, float16ToNumber);
  return Float32Array.from(a.data as ArrayLike<number>);
}

/**
 * Each block's residual, read with the extra-outputs mechanism in one pass, then projected through the model's own
 * final norm and unembedding in a second, small onnxruntime session built from those nodes and their weights.
 */
export async function lensLogits(model: Model, o: LensOptions): Promise<LensLogits | { unavailable: string }> {
  if (model.format !== 'onnx') {
    const plan = planLens(model, '');
    return { unavailable: typeof plan === 'string' ? plan : 'The logit lens reads ONNX graphs.' };
  }
  const backend = backendWith(model, 'activations', 'The logit lens');
  const opened = await openLanguageModel(model, o);
  if (!(opened.lm instanceof TensorTokenModel)) return { unavailable: `The logit lens is unavailable: ${opened.session.provider} runs this model and exposes no intermediate values.` };
  const sig = lmSignature(opened.session.inputs, opened.session.outputs);
  if (typeof sig === 'string') throw new ModelError(model.path, `is not a language model: it ${sig}`);
  const plan = planLens(model, sig.logits);
  if (typeof plan === 'string') return { unavailable: plan };
  const ids = await promptIds(model, opened, o.prompt);
  o.onProgress?.(0.2, 'reading the residual stream');
  let got: Map<string, NdArray>;
  try {
    got = await backend.intermediates!(model, opened.session, opened.lm.feeds([ids]), plan.points.map((p) => p.value), o.signal);
  } catch (e) {
    if (e instanceof ModelError || (e as Error).name === 'AbortError') throw e;
    throw new ModelError(model.path, `the residual stream could not be read (${oneLine(e)})`);
  }
  const first = got.get(plan.points[0]?.value);
  if (!first) throw new ModelError(model.path, 'the residual stream did not come back');
  const logitsType = (opened.session.outputs.find((x) => x.name === sig.logits)?.dtype ?? 'float32') as DType;
  let head: Ort.InferenceSession;
  try {
    head = await ort().InferenceSession.create(await lensHeadModel(model, plan, { residual: first.dtype, logits: logitsType }), { executionProviders: ['cpu'], logSeverityLevel: 4 });
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(model.path, `the final norm and unembedding could not be run on their own (${oneLine(e)})`);
  }
  const logits: Float32Array[] = [];
  let vocab = 0;
  try {
    for (const [k, p] of plan.points.entries()) {
      if (o.signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
      o.onProgress?.(0.4 + (0.5 * k) / plan.points.length, `projecting layer ${k}`);
      const h = got.get(p.value);
      if (!h) throw new ModelError(model.path, `the residual ${p.value} did not come back`);
      const out = await head.run({ [plan.residual]: onnx().toOrtTensor(h) });
      const l = onnx().fromOrtTensor(out[plan.logits] as Ort.Tensor);
      vocab = l.shape[l.shape.length - 1];
      logits.push(asFloat32(l));
    }
  } finally {
    await head.release();
  }
  return { plan, opened, ids, vocab, logits };
}

/** The logit lens for a prompt: top-1 token at every position of every block, and a target's probability and rank. */
export async function logitLens(model: Model, o: LensOptions): Promise<LensResult> {
  const t0 = performance.now();
  o.onProgress?.(0, 'loading model');
  const r = await lensLogits(model, o);
  if ('unavailable' in r) return { provider: '', tokenizer: '', tokens: [], position: 0, layers: [], unavailable: r.unavailable, ms: performance.now() - t0, notes: [] };
  const { opened, ids, plan, vocab } = r;
  const tok = opened.tokenizer;
  const t = ids.length;
  const notes = [...plan.notes];
  const maskAt = opened.lm.kind === 'masked' && tok.maskId !== undefined ? ids.indexOf(tok.maskId) : -1;
  const position = maskAt >= 0 ? maskAt : t - 1;
  let target: { id: number; text: string } | undefined;
  if (o.target !== undefined) {
    const id = typeof o.target === 'number' ? o.target : await tok.idOf(o.target);
    if (id === undefined) throw new ModelError(model.path, `the target "${o.target}" is not one token of the vocabulary`);
    if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new ModelError(model.path, `target id ${id} is out of range: the vocabulary has ${vocab} tokens`);
    target = { id, text: tok.piece(id) };
  }
  const row = new Float32Array(vocab);
  const layers = plan.points.map((p, k) => {
    const all = r.logits[k];
    const rows = all.length / vocab;
    const top = [];
    let tgt: { p: number; rank: number } | undefined;
    // a head that keeps only the last positions (logits [B, 1, V]) gives rows for the end of the prompt
    const first = t - Math.min(t, rows);
    for (let r = 0; r < Math.min(t, rows); r++) {
      const i = first + r;
      const lp = logSoftmaxInto(all.subarray(r * vocab, (r + 1) * vocab), row);
      let best = 0;
      for (let j = 1; j < vocab; j++) if (lp[j] > lp[best]) best = j;
      top.push({ position: i, id: best, text: tok.piece(best), p: Math.exp(lp[best]) });
      if (target && i === position) {
        let rank = 1;
        for (let j = 0; j < vocab; j++) if (lp[j] > lp[target.id]) rank++;
        tgt = { p: Math.exp(lp[target.id]), rank };
      }
    }
    return { index: p.index, node: p.node, nodeId: p.nodeId, top, ...(tgt ? { target: tgt } : {}) };
  });
  if (tok.source.startsWith('none')) notes.push('no tokenizer: the prompt was read as token ids, and tokens show as #id');
  return {
    provider: opened.session.provider,
    tokenizer: tok.source,
    tokens: ids.map((id) => ({ id, text: tok.piece(id) })),
    position,
    ...(target ? { target } : {}),
    layers,
    head: { norm: plan.norm, unembedding: plan.unembedding, nodes: plan.head.length },
    ms: performance.now() - t0,
    notes,
  };
}
