import type { Check } from './validate';
import { arrayOf, num, obj, oneOf, optional, str } from './validate';
import { deviceName } from './settings';
import type { SkippedProvider } from './run';

/**
 * Language models: a text prompt in, its tokens, their log-probabilities, the next-token distribution and which
 * prompt tokens drove a prediction. webview -> host -> engine (modelId added by the host); the CLI prints the same
 * shapes with `run --prompt` and `saliency --prompt` (public JSON: extra fields may appear, none may go).
 */

export const MAX_PROMPT_CHARS = 32_000;

export interface PromptParams {
  prompt: string;
  /** A tokenizer.json to use instead of the one beside the model (or the GGUF's own vocabulary). */
  tokenizer?: string;
  /** Next tokens listed (default 10). */
  top?: number;
  /** Greedy continuation length (default 0). */
  generate?: number;
  providers?: string[];
}

export interface PromptToken {
  id: number;
  text: string;
}

export interface PromptRunResult {
  /** What ran it (an execution provider, a TF.js backend, a llama.cpp build) and why preferred ones were skipped. */
  provider: string;
  skipped: SkippedProvider[];
  /** Where the tokens came from ("tokenizer.json beside the model", "the GGUF's own vocabulary (llama.cpp)", or none). */
  tokenizer: string;
  kind: 'causal' | 'masked';
  /** The prompt's tokens; `logprob` = log p(token | tokens before it), null for the first (and for masked models). */
  tokens: (PromptToken & { logprob: number | null })[];
  /** Where the prediction is made: after the last token, or at the mask token of a masked model. */
  position: number;
  next: (PromptToken & { p: number })[];
  generated?: (PromptToken & { p: number })[];
  /** The prompt's forward pass. */
  latencyMs: number;
  /** Generation: time and tokens per second (when `generate` > 0). */
  generateMs?: number;
  tokensPerSecond?: number;
  vocabSize: number;
  notes: string[];
}

export type TokenMethod = 'occlusion' | 'shapley' | 'gradxinput' | 'ig';
export const TOKEN_METHODS: readonly TokenMethod[] = ['occlusion', 'shapley', 'gradxinput', 'ig'];
/** Methods that need a differentiable form of the model (its input embeddings); the others only forward passes. */
export const TOKEN_GRADIENT_METHODS: readonly TokenMethod[] = ['gradxinput', 'ig'];

export interface PromptExplainParams {
  prompt: string;
  tokenizer?: string;
  /** The token to explain: its text or id; default the top prediction. */
  target?: string | number;
  method: TokenMethod;
  /** Shapley: permutations sampled (default 16); IG: path steps (default 32). */
  samples?: number;
  seed?: number;
  providers?: string[];
}

export interface PromptExplainResult {
  method: TokenMethod;
  provider: string;
  tokenizer: string;
  target: PromptToken & { p: number };
  /** Signed scores: how much each prompt token raised (+) or lowered (−) the target's log-probability. */
  tokens: (PromptToken & { score: number })[];
  /** The target's probability as the most-attributed tokens are replaced (deletion) or restored (insertion), step by step. */
  deletion: number[];
  insertion: number[];
  deletionAuc: number;
  insertionAuc: number;
  /** IG: |Σ scores − (f(x) − f(baseline))| relative to |f(x) − f(baseline)|. */
  completeness?: number;
  /** Forward passes the method needed (its cost), and what stood in for a removed token. */
  passes: number;
  baseline: PromptToken;
  ms: number;
  notes: string[];
}

export type PromptMethods = {
  runPrompt: { params: PromptParams; result: PromptRunResult };
  explainPrompt: { params: PromptExplainParams; result: PromptExplainResult };
};

const common = {
  prompt: str(MAX_PROMPT_CHARS),
  tokenizer: optional(str(4096)),
  providers: optional(arrayOf(deviceName, 10)),
};

export const promptValidators: { [K in keyof PromptMethods]: Check } = {
  runPrompt: obj({ ...common, top: optional(num(1, 100, true)), generate: optional(num(0, 512, true)) }),
  explainPrompt: obj({
    ...common,
    target: optional((x, p) => (typeof x === 'number' ? num(0, 2 ** 31, true)(x, p) : str(200)(x, p))),
    method: oneOf(...TOKEN_METHODS),
    samples: optional(num(1, 1000, true)),
    seed: optional(num(0, 2 ** 31, true)),
  }),
};
