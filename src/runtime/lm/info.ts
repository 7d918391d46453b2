import type { Model } from '../../model/graph';
import type { LanguageModelInfo } from '../../protocol/summary';
import { lmSignature, type Io } from './signature';
import { tokenizerBeside } from './tokenizer';
import { positionTableRows } from './context';

/**
 * What the Overview and the Run tab need to know before anything runs: whether prompts apply, and where their
 * tokens come from. A GGUF is a language model by format; a tensor graph when its inputs and outputs say so.
 */
export function languageModelInfo(model: Model): LanguageModelInfo | undefined {
  const beside = tokenizerBeside(model.path) ? 'tokenizer.json beside the model' : null;
  if (model.format === 'gguf') {
    const n = (k: string) => (Number.isFinite(Number(model.metadata[k])) ? Number(model.metadata[k]) : null);
    return { kind: 'causal', vocabSize: n('vocab size'), tokenizer: beside ?? "the GGUF's own vocabulary", contextLength: n('context length') };
  }
  const io = (names: string[]): Io[] => names.map((name) => {
    const v = model.graph.values.get(name);
    return { name, dtype: v?.dtype ?? 'unknown', shape: v?.shape };
  });
  const sig = lmSignature(io(model.graph.inputs), io(model.graph.outputs));
  if (typeof sig === 'string') return undefined;
  return { kind: sig.kind, vocabSize: sig.vocabSize, tokenizer: beside, contextLength: positionTableRows(model, sig.vocabSize) ?? null };
}
