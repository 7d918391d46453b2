import type { Dim } from '../../model/shape';
import type { DType } from '../../model/dtype';

/** A graph input or output by name, dtype and shape: what both the IR and a loaded session can say. */
export interface Io {
  name: string;
  dtype: DType;
  shape: Dim[] | undefined;
}

/**
 * How a tensor model takes tokens, recognised from its inputs and outputs (never from its file name): token ids
 * [batch, seq] in, logits [batch, seq, vocab] out, and the companions Hugging Face exports add — attention_mask
 * (all ones), position_ids (0..T-1), token_type_ids (zeros) and past_key_values.* (fed empty: past length 0).
 */
export interface LmSignature {
  ids: string;
  logits: string;
  attentionMask?: string;
  positionIds?: string;
  tokenTypeIds?: string;
  /** Past key/value inputs with their dtype and shape ([batch, heads, past, headDim]); fed with past = 0. */
  past: Io[];
  /** Logits rows (vocabulary size) when the shape says it. */
  vocabSize: number | null;
  kind: 'causal' | 'masked';
}

const INT = new Set<DType>(['int64', 'int32']);
const IDS = /^(input_ids|ids|tokens?|token_ids|input)$/i;

/** The LM signature of a graph, or a sentence saying why it is not one (for ids-only runs, the reason is shown). */
export function lmSignature(inputs: readonly Io[], outputs: readonly Io[]): LmSignature | string {
  const ints = inputs.filter((i) => INT.has(i.dtype) && (i.shape === undefined || i.shape.length === 2));
  const ids = ints.find((i) => IDS.test(i.name)) ?? (ints.length === 1 && inputs.every((i) => i === ints[0] || /mask|position|past|token_type/i.test(i.name)) ? ints[0] : undefined);
  if (!ids) return 'has no token-id input (an int64/int32 [batch, sequence] input such as input_ids)';
  const floats = outputs.filter((o) => (o.dtype === 'float32' || o.dtype === 'float16') && (o.shape === undefined || o.shape.length === 3));
  const logits = floats.find((o) => /logits/i.test(o.name)) ?? floats[0];
  if (!logits) return 'has no token-logits output (a float [batch, sequence, vocabulary] output such as logits)';
  const by = (re: RegExp) => inputs.find((i) => i !== ids && re.test(i.name))?.name;
  const past = inputs.filter((i) => /past_key_values|past\.|\.past_|^past/i.test(i.name));
  const other = inputs.filter((i) => i !== ids && !past.includes(i) && !/attention_mask|position_ids|token_type_ids/i.test(i.name));
  if (other.length) return `has inputs a language model run cannot fill: ${other.map((i) => i.name).join(', ')}`;
  const v = logits.shape?.[2];
  const tokenTypeIds = by(/token_type_ids/i);
  return {
    ids: ids.name,
    logits: logits.name,
    attentionMask: by(/attention_mask/i),
    positionIds: by(/position_ids/i),
    tokenTypeIds,
    past,
    vocabSize: typeof v === 'number' && v > 0 ? v : null,
    // Decoders carry a past or are plain; BERT-style encoders take segment ids and predict a masked position.
    kind: tokenTypeIds && !past.length ? 'masked' : 'causal',
  };
}
