import type { Model } from '../../model/graph';
import { ModelError, oneLine } from '../../model/errors';
import type { PromptParams, PromptRunResult } from '../../protocol/prompt';
import { openLanguageModel, promptIds } from './open';

export interface PromptRunOptions extends PromptParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Top `k` entries of a log-probability row, as probabilities. */
export function topK(logp: Float32Array, k: number): { id: number; p: number }[] {
  const best: { id: number; lp: number }[] = [];
  for (let i = 0; i < logp.length; i++) {
    const lp = logp[i];
    if (best.length < k || lp > best[best.length - 1].lp) {
      let j = best.length < k ? best.length : best.length - 1;
      if (best.length < k) best.push({ id: i, lp });
      while (j > 0 && best[j - 1].lp < lp) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = { id: i, lp };
    }
  }
  return best.map((b) => ({ id: b.id, p: Math.exp(b.lp) }));
}

/**
 * Runs a prompt: its tokens with each one's log-probability given those before it, the next-token distribution's
 * top entries, and optionally a greedy continuation. One forward pass for the prompt (plus the continuation).
 */
export async function runPrompt(model: Model, o: PromptRunOptions): Promise<PromptRunResult> {
  o.onProgress?.(0, 'loading model');
  const opened = await openLanguageModel(model, o);
  const { lm, tokenizer, session } = opened;
  const ids = await promptIds(model, opened, o.prompt);
  const notes: string[] = [];
  // Masked models predict at their mask token; without one, at the last position.
  const maskAt = lm.kind === 'masked' && tokenizer.maskId !== undefined ? ids.indexOf(tokenizer.maskId) : -1;
  if (lm.kind === 'masked' && maskAt < 0) notes.push('a masked language model predicts at a mask token; the prompt has none, so the last position is shown');
  const at = maskAt >= 0 ? maskAt : ids.length - 1;
  o.onProgress?.(0.2, 'evaluating the prompt');
  const t0 = performance.now();
  let pass;
  try {
    [pass] = await lm.evaluate([ids], { observed: true, at, signal: o.signal });
  } catch (e) {
    if (e instanceof ModelError || (e as Error).name === 'AbortError') throw e;
    throw new ModelError(model.path, `inference failed on ${session.provider} (${oneLine(e)})`);
  }
  const latencyMs = performance.now() - t0;
  const text = (id: number) => tokenizer.piece(id);
  const result: PromptRunResult = {
    provider: session.provider,
    skipped: session.skipped,
    tokenizer: tokenizer.source,
    kind: lm.kind,
    tokens: ids.map((id, k) => ({ id, text: text(id), logprob: pass.observed && k > 0 && Number.isFinite(pass.observed[k]) ? pass.observed[k] : null })),
    position: at,
    next: topK(pass.next, o.top ?? 10).map((t) => ({ ...t, text: text(t.id) })),
    latencyMs,
    vocabSize: lm.vocabSize,
    notes,
  };
  const n = o.generate ?? 0;
  if (n > 0) {
    if (lm.kind === 'masked') notes.push('a masked language model does not continue text: no continuation');
    else {
      o.onProgress?.(0.5, `generating ${n} tokens`);
      const g0 = performance.now();
      const gen = await lm.generate(ids, n, o.signal);
      result.generateMs = performance.now() - g0;
      result.generated = gen.map((t) => ({ ...t, text: text(t.id) }));
      result.tokensPerSecond = gen.length / (result.generateMs / 1000);
      if (gen.length < n) notes.push(`the continuation stopped after ${gen.length} tokens: the context is full`);
    }
  }
  if (tokenizer.source.startsWith('none')) notes.push('no tokenizer: the prompt was read as token ids, and tokens show as #id (put a tokenizer.json beside the model, or pick one)');
  return result;
}
