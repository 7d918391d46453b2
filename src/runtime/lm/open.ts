import type { Model } from '../../model/graph';
import { ModelError } from '../../model/errors';
import { sessions } from '../load';
import { backendWith } from '../backends/registry';
import type { RuntimeSession } from '../session';
import { lmSignature } from './signature';
import { TensorTokenModel } from './tensor-token-model';
import type { TokenModel } from './token-model';
import { idsOnlyTokenizer, loadTokenizerJson, tokenizerBeside, type TextTokenizer } from './tokenizer';
import { positionTableRows } from './context';

export interface OpenedLm {
  session: RuntimeSession;
  lm: TokenModel;
  tokenizer: TextTokenizer;
}

const tokenModels = new WeakMap<RuntimeSession, Promise<TokenModel>>();

/** The session as a TokenModel: its own (llama.cpp), or its tensor graph's LM signature. */
function tokenModelOf(model: Model, session: RuntimeSession): Promise<TokenModel> {
  if (session.tokens) return Promise.resolve(session.tokens);
  let p = tokenModels.get(session);
  if (!p) {
    p = (async () => {
      const sig = lmSignature(session.inputs, session.outputs);
      if (typeof sig === 'string') throw new ModelError(model.path, `is not a language model: it ${sig}`);
      if (!session.run) throw new ModelError(model.path, `${session.provider} cannot run its tensors`);
      const run = session.run.bind(session);
      const tensors = { ...session, run } as RuntimeSession & { run: typeof run };
      let vocab = sig.vocabSize;
      if (vocab === null) {
        // The file leaves the vocabulary symbolic: one single-token pass says how many rows the logits have.
        const probe = new TensorTokenModel(model.path, tensors, sig, Number.MAX_SAFE_INTEGER, undefined, false);
        const out = await run(probe.feeds([[0]]));
        vocab = out.get(sig.logits)?.shape[2] ?? null;
        if (!vocab) throw new ModelError(model.path, `output ${sig.logits} did not say its vocabulary size`);
      }
      const d0 = session.inputs.find((i) => i.name === sig.ids)?.shape?.[0];
      const batchable = d0 === null || typeof d0 === 'string' || d0 === undefined;
      return new TensorTokenModel(model.path, tensors, sig, vocab, positionTableRows(model, vocab), batchable);
    })();
    tokenModels.set(session, p);
    p.catch(() => tokenModels.delete(session));
  }
  return p;
}

/**
 * Where a prompt's tokens come from: the file the user picked, else tokenizer.json beside the model, else the
 * model's own vocabulary (GGUF), else ids only. A tokenizer that cannot produce the model's ids is refused.
 */
export function chooseTokenizer(model: Model, lm: TokenModel, picked: string | undefined): TextTokenizer {
  const beside = picked ? undefined : tokenizerBeside(model.path);
  const file = picked ?? beside;
  const tok = file ? loadTokenizerJson(file, picked ? file : 'tokenizer.json beside the model') : lm.tokenizer ?? idsOnlyTokenizer(lm.vocabSize);
  if (file) {
    if (tok.size > lm.vocabSize) throw new ModelError(file, `has ${tok.size} tokens but the model's vocabulary has ${lm.vocabSize}: tokenizer and model vocabularies disagree (is it this model's tokenizer?)`);
    if (tok.size < lm.vocabSize / 2) throw new ModelError(file, `has ${tok.size} tokens, far fewer than the model's ${lm.vocabSize}: tokenizer and model vocabularies disagree (is it this model's tokenizer?)`);
  }
  return tok;
}

/** Loads (or reuses) the model's session on a backend that takes tokens, with the tokenizer for its prompts. */
export async function openLanguageModel(model: Model, o: { providers?: string[]; tokenizer?: string }): Promise<OpenedLm> {
  backendWith(model, 'tokens', 'Running a prompt');
  const { session } = await sessions.get(model, { providers: o.providers });
  const lm = await tokenModelOf(model, session);
  return { session, lm, tokenizer: chooseTokenizer(model, lm, o.tokenizer) };
}

/** The prompt's ids, checked against the model: not empty, in the vocabulary, within the context. */
export async function promptIds(model: Model, opened: OpenedLm, prompt: string): Promise<number[]> {
  let ids: number[];
  try {
    ids = await opened.tokenizer.encode(prompt);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(model.path, (e as Error).message);
  }
  if (!ids.length) throw new ModelError(model.path, 'the prompt has no tokens');
  const v = opened.lm.vocabSize;
  const bad = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < v));
  if (bad !== undefined) throw new ModelError(model.path, `token id ${bad} is out of range: the vocabulary has ${v} tokens`);
  const ctx = opened.lm.contextLength;
  if (ctx !== undefined && ids.length > ctx) throw new ModelError(model.path, `the prompt has ${ids.length} tokens, more than the ${ctx} the model takes`);
  return ids;
}
