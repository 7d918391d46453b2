import type { Check } from './validate';
import { arrayOf, num, obj, optional, str } from './validate';
import { deviceName } from './settings';
import { MAX_PROMPT_CHARS, type PromptToken } from './prompt';

/**
 * Inside a transformer: each layer's attention maps and the logit lens, for a prompt. webview -> host -> engine
 * (modelId added by the host); the CLI prints the same shapes with `attention` and `lens` (public JSON: extra fields
 * may appear, none may go). The webview gets thumbnails and one head's map at a time, never all maps of a prompt.
 */

export interface AttentionParams {
  prompt: string;
  tokenizer?: string;
  providers?: string[];
}

/** What one head does, measured on the prompt's map A (query rows i, key columns j). */
export interface HeadSummary {
  /** Mean over rows of −Σ_j A_ij ln A_ij, in nats (0: one key per row; ln Tk: uniform). */
  entropy: number;
  /** Mean over rows i ≥ 1 of A_i0: weight on the first token. */
  firstToken: number;
  /** Mean over rows i ≥ 1 of A_i,i−1: weight on the token just before. */
  prevToken: number;
  /** Mean, over rows whose token occurred before (at k ≤ i−2), of the weight on the tokens after those occurrences (k+1). */
  induction: number;
  /** Mean over rows of A_ii: weight on the own position. */
  self: number;
  /** Where the last position (the one predicting the next token) looks most, and with what weight. */
  peak: { position: number; weight: number };
  /** One sentence: what the head mostly does. */
  role: string;
}

export interface AttentionLayer {
  index: number;
  /** The node whose output holds the layer's probabilities (a Softmax), by name and by graph id. */
  node: string;
  nodeId: string;
  /** The node's group in the graph ("blocks.3/attn"), so that clicking a group can open its layer. */
  scope: string;
  heads: HeadSummary[];
}

export interface AttentionMapsResult {
  provider: string;
  tokenizer: string;
  tokens: PromptToken[];
  layers: AttentionLayer[];
  /** Why there are no maps (fused attention, GGUF, no attention found): a sentence, not an error. */
  unavailable?: string;
  /**
   * Thumbnails: per layer, heads × rows × cols bytes (0..255, each head scaled to its own maximum; each cell the
   * largest weight of its block), base64. Absent from the CLI's JSON.
   */
  thumbs?: { rows: number; cols: number; layers: string[] };
  ms: number;
  notes: string[];
}

export interface AttentionHeadParams extends AttentionParams {
  layer: number;
  head: number;
}

export interface AttentionHeadResult {
  layer: number;
  head: number;
  /** Query rows and key columns. */
  rows: number;
  cols: number;
  /** The map as uint16 little-endian, weight·65535 rounded, row-major, base64 (2 bytes a cell). */
  weights: string;
  summary: HeadSummary;
}

export interface LensParams extends AttentionParams {
  /** The token whose probability is followed by layer: its text or id. */
  target?: string | number;
}

export interface LensLayer {
  index: number;
  /** The node writing the residual stream after this block (an Add). */
  node: string;
  nodeId: string;
  /** Top-1 token at each position, with its probability. */
  top: { position: number; id: number; text: string; p: number }[];
  /** The target's probability and rank (1 = top) at the predicted position. */
  target?: { p: number; rank: number };
}

export interface LensResult {
  provider: string;
  tokenizer: string;
  tokens: PromptToken[];
  /** The position whose prediction `target` follows (the last, or a masked model's mask). */
  position: number;
  target?: PromptToken;
  layers: LensLayer[];
  /** How the residual reaches the logits: the final norm and the unembedding found in the graph. */
  head?: { norm: string; unembedding: string; nodes: number };
  unavailable?: string;
  ms: number;
  notes: string[];
}

export type AttentionMethods = {
  attentionMaps: { params: AttentionParams; result: AttentionMapsResult };
  attentionHead: { params: AttentionHeadParams; result: AttentionHeadResult };
  logitLens: { params: LensParams; result: LensResult };
};

const common = {
  prompt: str(MAX_PROMPT_CHARS),
  tokenizer: optional(str(4096)),
  providers: optional(arrayOf(deviceName, 10)),
};

export const attentionValidators: { [K in keyof AttentionMethods]: Check } = {
  attentionMaps: obj(common),
  attentionHead: obj({ ...common, layer: num(0, 10_000, true), head: num(0, 10_000, true) }),
  logitLens: obj({ ...common, target: optional((x, p) => (typeof x === 'number' ? num(0, 2 ** 31, true)(x, p) : str(200)(x, p))) }),
};
