import type { TextTokenizer } from './tokenizer';

/** One forward pass over one sequence, reduced to what language-model views need. */
export interface TokenPass {
  /** Log-probabilities over the vocabulary at the predicted position: after the last token (or at the mask). */
  next: Float32Array;
  /** observed[t] = log p(ids[t] | ids before t), NaN where the model says nothing (t = 0, masked models). */
  observed?: Float32Array;
}

export interface EvaluateOptions {
  /** Also give each token's log-probability given the tokens before it. */
  observed?: boolean;
  /** Position to predict (masked models: the mask's index); default: after the last token. */
  at?: number;
  signal?: AbortSignal;
}

/**
 * A loaded model that maps token ids to next-token log-probabilities, whatever runs it (a tensor graph in
 * onnxruntime or tfjs, llama.cpp). Attribution and the prompt views are written against this alone.
 */
export interface TokenModel {
  readonly kind: 'causal' | 'masked';
  /** Rows of the model's logits. */
  readonly vocabSize: number;
  /** The longest sequence it takes, when known. */
  readonly contextLength: number | undefined;
  /** How many equally long sequences one forward pass should take (perturbation methods batch by it). */
  readonly maxBatch: number;
  /** A tokenizer the model carries itself (a GGUF's vocabulary), used when the user gives none. */
  readonly tokenizer?: TextTokenizer;
  /** One pass per sequence; sequences of one call have the same length. */
  evaluate(seqs: number[][], o?: EvaluateOptions): Promise<TokenPass[]>;
  /** Greedy continuation: each next token (argmax) with its probability. */
  generate(ids: number[], n: number, signal?: AbortSignal): Promise<{ id: number; p: number }[]>;
}

/** log-softmax of one logits row into `out` (float64 sums: a 150k-row vocabulary loses nothing). */
export function logSoftmaxInto(row: ArrayLike<number>, out: Float32Array): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > m) m = row[i];
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp(row[i] - m);
  const lz = m + Math.log(z);
  for (let i = 0; i < row.length; i++) out[i] = row[i] - lz;
  return out;
}

/** log Σ exp(row): what a row's log-softmax subtracts, without writing the row (one token's log-probability needs only this). */
export function logSumExp(row: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > m) m = row[i];
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp(row[i] - m);
  return m + Math.log(z);
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export function checkAbort(signal: AbortSignal | undefined, what = 'run'): void {
  if (signal?.aborted) throw Object.assign(new Error(`${what} was cancelled`), { name: 'AbortError' });
}
