import type { DType } from '../model/dtype';
import type { ModelFormat } from '../model/graph';

/** JSON-safe shape: numbers for static dims, names for symbolic ones, '?' when unknown; null when rank is unknown. */
export type WireShape = (number | string)[] | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: WireShape;
}

/** What the Overview shows and `model-inspector inspect --json` prints (a superset of the CLI contract). */
export interface ModelSummary {
  file: string;
  path: string;
  /** The model file's size; `dataFiles` counts the files its weights are read from besides it (external data, shards). */
  fileBytes: number;
  dataFiles?: { count: number; bytes: number };
  format: ModelFormat;
  /** What users call the format: its descriptor's name, with the variant where one reader has several ("TensorFlow.js (layers)"). */
  formatName: string;
  producer?: { name: string; version: string };
  irVersion?: number;
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Nodes of the main graph. */
  nodeCount: number;
  /** Nodes of every graph including subgraphs and function bodies. */
  totalNodeCount: number;
  subgraphCount: number;
  functionCount: number;
  /** Tensors counted in parameterCount: weights and buffers (BatchNorm statistics), what a forward pass reads. */
  weightCount: number;
  parameterCount: number;
  parameterBytes: number;
  /** Tensors the file holds besides the parameters, by role (a checkpoint's optimizer state, counters, shape constants). */
  otherTensors?: OtherTensors;
  opTypeCounts: Record<string, number>;
  warnings: string[];
  /**
   * The runtime backend that executes this model here (its id, name and what it can do), or null with the reason
   * users see. Decided once, by the runtime layer, from the format's backends and what this machine has.
   */
  runs: { runtime: string; name: string; capabilities: Capability[]; why?: undefined } | { runtime: null; why: string };
  /** Present when the model takes token ids and gives token logits: prompts run and explain as text. */
  lm?: LanguageModelInfo;
}

/**
 * What a backend can do. Host, protocol, explain and compare ask for a capability, never for a backend by name:
 * tensors (arrays in, arrays out), tokens (next-token probabilities), generate (continuations from a KV cache),
 * activations (intermediate values), profiling (per-node times), gradients (a differentiable form for saliency).
 */
export type Capability = 'tensors' | 'tokens' | 'generate' | 'activations' | 'profiling' | 'gradients';

export interface LanguageModelInfo {
  /** causal: next-token prediction; masked: an encoder predicting the mask token's position (fill-mask). */
  kind: 'causal' | 'masked';
  /** Rows of the logits, when the file says (null when only a run tells). */
  vocabSize: number | null;
  /** Where prompts are tokenized: "tokenizer.json beside the model", "the GGUF's own vocabulary", or null: ids only. */
  tokenizer: string | null;
  /** The longest prompt the model takes, when the file says. */
  contextLength: number | null;
}

/** Whether the model's backend can do this (false when nothing runs it). */
export function can(s: Pick<ModelSummary, 'runs'>, capability: Capability): boolean {
  return s.runs?.runtime != null && s.runs.capabilities.includes(capability);
}

export type OtherTensors = Partial<Record<'optimizer' | 'counter' | 'constant', { count: number; elements: number; bytes: number }>>;

const OTHER_WORDS: Record<'counter' | 'constant', [string, string]> = {
  counter: ['counter', 'counters'],
  constant: ['graph constant', 'graph constants'],
};

/**
 * "optimizer state 1.1 K values in 12 tensors (4.6 KB), 7 counters": what the file holds besides its parameters,
 * one phrase per role, or '' when nothing. `count` formats element counts the way the caller shows parameter counts.
 */
export function otherTensorsText(o: OtherTensors | undefined, count: (n: number) => string): string {
  if (!o) return '';
  const parts: string[] = [];
  if (o.optimizer) parts.push(`optimizer state ${count(o.optimizer.elements)} values in ${o.optimizer.count} tensor${o.optimizer.count === 1 ? '' : 's'} (${formatBytes(o.optimizer.bytes)})`);
  // Counters and constants are a handful of scalars and shapes: their number says enough.
  for (const role of ['counter', 'constant'] as const) {
    const r = o[role];
    if (r) parts.push(`${r.count} ${OTHER_WORDS[role][r.count === 1 ? 0 : 1]}`);
  }
  return parts.join(', ');
}

/** Why the Run and Explain tabs cannot run this model (its format has no runtime), or undefined when they can. */
export function cannotRun(s: Pick<ModelSummary, 'runs'>): string | undefined {
  return s.runs?.runtime === null ? s.runs.why : undefined;
}

const countUnits = ['', ' K', ' M', ' B', ' T'];

/**
 * Element counts as the user reads them everywhere (CLI text, Overview, graph, side panel): 950 -> "950",
 * 1234 -> "1.2 K", 1_234_567 -> "1.2 M"; three significant digits at most. Where the exact count matters it goes
 * beside this (CLI) or in a tooltip (Overview).
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let i = 0;
  let v = Math.abs(n);
  while (v >= 999.95 && i < countUnits.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 1 : v < 100 ? 1 : 0;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)}${countUnits[i]}`;
}

const byteUnits = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * Sizes as the user reads them everywhere (CLI text, Overview, side panel): decimal (SI) units like file managers and
 * download pages, one decimal: 2_760 -> "2.8 KB", 4_800_000 -> "4.8 MB". One function so the same file never shows
 * as "2.8 KB" in the editor and "2.70 KiB" in the terminal.
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  let i = 0;
  let v = n;
  while (v >= 999.95 && i < byteUnits.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${byteUnits[i]}`;
}

/** "1.2 KB", or "1.2 KB + 3 data files (12.0 MB)": the model file and the files its weights are read from. */
export function fileSizeText(s: Pick<ModelSummary, 'fileBytes' | 'dataFiles'>): string {
  const d = s.dataFiles;
  return d ? `${formatBytes(s.fileBytes)} + ${d.count} data file${d.count === 1 ? '' : 's'} (${formatBytes(d.bytes)})` : formatBytes(s.fileBytes);
}
