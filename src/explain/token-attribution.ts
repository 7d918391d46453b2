import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { PromptExplainParams, PromptExplainResult, TokenMethod } from '../protocol/prompt';
import { TOKEN_GRADIENT_METHODS } from '../protocol/prompt';
import { openLanguageModel, promptIds, type OpenedLm } from '../runtime/lm/open';
import { argmax } from '../runtime/lm/token-model';
import { rng } from '../runtime/synthesize';
import { auc, completeness, rankUnits } from './quality';
import { embeddingAttribution } from './token-gradients';

export interface PromptExplainOptions extends PromptExplainParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Sequences scored per call: the backend batches within it; between calls progress moves and a cancel is read. */
const CHUNK = 64;

/**
 * The target's log-probability for each sequence, through the model's batched forward passes, in chunks so that
 * progress is reported and a cancel is honoured between them.
 */
async function targetLogprobs(opened: OpenedLm, seqs: number[][], target: number, at: number, o: PromptExplainOptions, progress: (done: number) => void): Promise<Float64Array> {
  const out = new Float64Array(seqs.length);
  for (let i = 0; i < seqs.length; i += CHUNK) {
    const passes = await opened.lm.evaluate(seqs.slice(i, i + CHUNK), { at, signal: o.signal });
    passes.forEach((p, k) => (out[i + k] = p.next[target]));
    progress(Math.min(seqs.length, i + CHUNK));
  }
  return out;
}

/** ids with the positions in `off` replaced by the baseline token. */
function replaced(ids: number[], off: Iterable<number>, base: number): number[] {
  const s = ids.slice();
  for (const i of off) s[i] = base;
  return s;
}

/** Leave-one-out: score_i = log p(target | x) − log p(target | x with token i replaced). T passes, one batch. */
async function occlusion(ids: number[], fixed: Set<number>, base: number, score: (seqs: number[][]) => Promise<Float64Array>, full: number): Promise<{ scores: Float32Array; passes: number }> {
  const positions = ids.map((_, i) => i).filter((i) => !fixed.has(i));
  const lps = await score(positions.map((i) => replaced(ids, [i], base)));
  const scores = new Float32Array(ids.length);
  positions.forEach((i, k) => (scores[i] = full - lps[k]));
  return { scores, passes: positions.length };
}

/**
 * Shapley value sampling: each sampled permutation restores the tokens one by one, from all replaced to the full
 * prompt, crediting each with the change it makes; permutations come in antithetic pairs (an order and its reverse),
 * which halves the variance for the same passes. The empty and full prompts are shared: 2 + samples·(T−1) passes.
 */
async function shapley(ids: number[], fixed: Set<number>, base: number, samples: number, seed: number, score: (seqs: number[][]) => Promise<Float64Array>, full: number): Promise<{ scores: Float32Array; passes: number }> {
  const players = ids.map((_, i) => i).filter((i) => !fixed.has(i));
  const t = players.length;
  const next = rng(seed);
  const perms: number[][] = [];
  while (perms.length < samples) {
    const p = players.slice();
    for (let i = p.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    perms.push(p);
    if (perms.length < samples) perms.push(p.slice().reverse());
  }
  // Sequence k of a permutation has its first k players restored; k = 0 (empty) and k = t (full) are shared.
  const seqs: number[][] = [replaced(ids, players, base)];
  for (const p of perms) {
    const off = new Set(players);
    for (let k = 1; k < t; k++) {
      off.delete(p[k - 1]);
      seqs.push(replaced(ids, off, base));
    }
  }
  const lps = await score(seqs);
  const empty = lps[0];
  const scores = new Float64Array(ids.length);
  let at = 1;
  for (const p of perms) {
    let prev = empty;
    for (let k = 1; k <= t; k++) {
      const v = k === t ? full : lps[at++];
      scores[p[k - 1]] += v - prev;
      prev = v;
    }
  }
  return { scores: Float32Array.from(scores, (s) => s / perms.length), passes: seqs.length + 1 };
}

/**
 * Deletion and insertion over tokens: the most-attributed tokens replaced (deletion) or restored into an all-replaced
 * prompt (insertion), one more at each step, with the target's probability after each; AUCs over [0, 1].
 */
async function curves(ids: number[], fixed: Set<number>, base: number, scores: Float32Array, score: (seqs: number[][]) => Promise<Float64Array>): Promise<{ deletion: number[]; insertion: number[] }> {
  const free = ids.map((_, i) => i).filter((i) => !fixed.has(i));
  const ranked = Array.from(rankUnits(Float32Array.from(free, (i) => scores[i])), (k) => free[k]);
  const seqs: number[][] = [];
  for (let k = 0; k <= ranked.length; k++) seqs.push(replaced(ids, ranked.slice(0, k), base));
  for (let k = 0; k <= ranked.length; k++) seqs.push(replaced(ids, ranked.slice(k), base));
  const lps = await score(seqs);
  const p = Array.from(lps, (lp) => Math.exp(lp));
  return { deletion: p.slice(0, ranked.length + 1), insertion: p.slice(ranked.length + 1) };
}

async function resolveTarget(model: Model, opened: OpenedLm, target: string | number | undefined, predicted: number): Promise<number> {
  if (target === undefined) return predicted;
  const id = typeof target === 'number' ? target : await opened.tokenizer.idOf(target);
  if (id === undefined) throw new ModelError(model.path, `target "${String(target).slice(0, 60)}" is not one token of this tokenizer (give its id instead)`);
  if (!(id >= 0 && id < opened.lm.vocabSize)) throw new ModelError(model.path, `target id ${id} is out of range: the vocabulary has ${opened.lm.vocabSize} tokens`);
  return id;
}

/** Which prompt tokens drove the model's prediction of one token, with the quality numbers next to the map. */
export async function explainPrompt(model: Model, o: PromptExplainOptions): Promise<PromptExplainResult> {
  const t0 = performance.now();
  o.onProgress?.(0, 'loading model');
  const opened = await openLanguageModel(model, o);
  const { lm, tokenizer, session } = opened;
  const ids = await promptIds(model, opened, o.prompt);
  const maskAt = lm.kind === 'masked' && tokenizer.maskId !== undefined ? ids.indexOf(tokenizer.maskId) : -1;
  const at = maskAt >= 0 ? maskAt : ids.length - 1;
  const notes: string[] = [];
  const base = tokenizer.neutralId ?? 0;
  if (tokenizer.neutralId === undefined) notes.push('the tokenizer has no pad, unk or mask token: token 0 stands in for removed tokens');
  // The mask a masked model predicts at is the question, not evidence: it is never removed.
  const fixed = new Set<number>(maskAt >= 0 ? [maskAt] : []);

  const [pass] = await lm.evaluate([ids], { at, signal: o.signal });
  const targetId = await resolveTarget(model, opened, o.target, argmax(pass.next));
  const full = pass.next[targetId];
  const method: TokenMethod = o.method;
  // Progress: the method's passes are the first 80%, the quality curves the rest.
  let share = 0.8;
  let offset = 0;
  let expected = 1;
  const score = (seqs: number[][]) => {
    expected = seqs.length;
    return targetLogprobs(opened, seqs, targetId, at, o, (done) => o.onProgress?.(offset + share * (done / expected), `${done}/${expected} forward passes`));
  };
  let scores: Float32Array;
  let passes: number;
  let residual: number | undefined;
  if (TOKEN_GRADIENT_METHODS.includes(method)) {
    const g = await embeddingAttribution(model, session, ids, targetId, at, method, { steps: o.samples ?? 32, baseline: base, signal: o.signal });
    scores = g.scores;
    passes = g.passes;
    residual = g.fx !== undefined && g.fb !== undefined ? completeness(scores, g.fx, g.fb) : undefined;
    notes.push(...g.notes);
  } else if (method === 'occlusion') {
    ({ scores, passes } = await occlusion(ids, fixed, base, score, full));
  } else {
    ({ scores, passes } = await shapley(ids, fixed, base, o.samples ?? 16, o.seed ?? 0, score, full));
  }
  offset = 0.8;
  share = 0.2;
  const { deletion, insertion } = await curves(ids, fixed, base, scores, score);
  o.onProgress?.(1, 'done');
  const text = (id: number) => tokenizer.piece(id);
  return {
    method,
    provider: session.provider,
    tokenizer: tokenizer.source,
    target: { id: targetId, text: text(targetId), p: Math.exp(full) },
    tokens: ids.map((id, i) => ({ id, text: text(id), score: scores[i] })),
    deletion,
    insertion,
    deletionAuc: auc(deletion),
    insertionAuc: auc(insertion),
    ...(residual !== undefined ? { completeness: residual } : {}),
    passes,
    baseline: { id: base, text: text(base) },
    ms: performance.now() - t0,
    notes,
  };
}
