import type { Check } from './validate';
import { arrayOf, bool, num, obj, oneOf, optional, str } from './validate';
import { deviceName, type ServerStatus } from './settings';

/**
 * Run feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes.
 */

/** How an input without a file gets its values. 'range' = integers 0..n-1 (token ids below the vocab size). */
export type SynthKind = 'normal' | 'uniform' | 'zeros' | 'ones' | 'range';
export const SYNTH_KINDS: readonly SynthKind[] = ['normal', 'uniform', 'zeros', 'ones', 'range'];

export interface RunInputSpec {
  /** Graph input name; omitted = the first input not given otherwise. */
  name?: string;
  /**
   * A .npy / .npz / TensorProto .pb file (npz members map by name, else by order), or an image (png, jpg, webp, …)
   * resized to the input, optionally with options after '#': `cat.jpg#imagenet,bgr`.
   */
  file?: string;
  synth?: SynthKind;
  image?: ImagePreset;
}

/** How an image becomes a tensor. Defaults: 0-1 for float inputs (raw for uint8), RGB, layout from the input's shape. */
export interface ImagePreset {
  normalize?: '0-1' | '-1-1' | 'imagenet' | 'raw';
  order?: 'rgb' | 'bgr';
  layout?: 'nchw' | 'nhwc';
}

export interface RunParams {
  inputs?: RunInputSpec[];
  /** Kind used for inputs not listed in `inputs`; default: 'normal' for floats, 'range' for integers. */
  synth?: SynthKind;
  seed?: number;
  /** Values for symbolic dimensions, e.g. {batch: 1, sequence: 128}. */
  dims?: Record<string, number>;
  /** Ordered devices to try: ONNX Runtime providers, TF.js backends, llama.cpp builds; default: the settings' or the platform's order. */
  providers?: string[];
  runs?: number;
  warmup?: number;
  topK?: number;
}

export interface SkippedProvider {
  provider: string;
  reason: string;
}

export interface TopEntry {
  index: number;
  /** From labels.txt next to the model or labels metadata; null when there are none. */
  label: string | null;
  p: number;
}

export interface OutputSummary {
  name: string;
  dtype: string;
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Count of NaN / ±Inf elements (excluded from the statistics above). */
  nonFinite: number;
  first: number[];
  top: TopEntry[];
  /** True when softmax was applied before top-k (the output looked like logits). */
  softmax: boolean;
}

export interface InputUsed {
  name: string;
  dtype: string;
  shape: number[];
  /** 'file:<path>[member]' or the synth kind, e.g. 'normal(seed 0)' or 'range(<32000)'. */
  source: string;
  /** Set when the values were changed to fit the model, e.g. an NCHW array laid out as NHWC: says what was done. */
  note?: string;
  /** True when no file or image gave the values: they were made up from the input's dtype and shape. */
  synthesized?: boolean;
}

export interface RunSummary {
  /** What ran: an ORT execution provider ('cpu', 'webgpu', …) or a TF.js backend ('tfjs-wasm', …). */
  provider: string;
  skipped: SkippedProvider[];
  /** Nodes per execution provider for the first run, when known (ORT profiling). */
  placement?: Record<string, number>;
  /** Present when the model ran on an inference server: its health, readiness and batch limit at load. */
  server?: ServerStatus;
  loadMs: number;
  /** True when the session came from the cache (loadMs is then the original load time). */
  cached: boolean;
  inputs: InputUsed[];
  dims: Record<string, number>;
  outputs: OutputSummary[];
  runs: number;
  latencyMs: { p50: number; p95: number; mean: number; min: number; max: number };
}

/** The input part of RunParams: what decides the values fed (activations and profiling reuse it). */
export type RunInputParams = Pick<RunParams, 'inputs' | 'synth' | 'seed' | 'dims' | 'providers'>;

export const MAX_ACTIVATION_VALUES = 64;
export const MAX_ACTIVATION_BINS = 512;

export interface ActivationParams extends RunInputParams {
  /** Graph value names (top-level graph); at most MAX_ACTIVATION_VALUES. */
  values: string[];
  /** Histogram bins; default 64. */
  bins?: number;
}

/** One intermediate value for the current input: statistics over finite elements and a histogram on [min, max]. */
export interface ActivationSummary {
  name: string;
  /** Node id that produces the value (undefined for graph inputs). */
  nodeId?: string;
  dtype: string;
  shape: number[];
  count: number;
  /** null when no element is finite (JSON has no NaN). */
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  meanAbs: number | null;
  zeros: number;
  nan: number;
  inf: number;
  histogram: { edges: number[]; counts: number[] };
}

export interface ActivationsResult {
  provider: string;
  inputs: InputUsed[];
  activations: ActivationSummary[];
}

export type OverlayMeasure = 'meanAbs' | 'std';

/** Per-node numbers to paint on the graph (the webview's NodeOverlay, JSON-safe). */
export interface WireNodeOverlay {
  title: string;
  values: Record<string, number>;
  scale: 'sequential' | 'diverging';
  unit?: string;
  /** Set when the values are categories: each value with its legend label, drawn as distinct colours. */
  categories?: { value: number; label: string }[];
}

export interface ActivationOverlayResult {
  provider: string;
  overlay: WireNodeOverlay;
  /** Nodes with a float output that got no value (non-finite everywhere, or the runtime did not return it). */
  missing: string[];
}

export interface ProfileParams extends RunInputParams {
  /** Profiled runs averaged (after one warm-up); default 5. */
  runs?: number;
  /**
   * false (default): ORT graph optimisations off, so every row is one node of the file's graph.
   * true: the optimised graph that normally runs; fused kernels map back to a node only best-effort.
   */
  optimized?: boolean;
}

export interface ProfileRow {
  /** Node id in our IR; null when the kernel could not be mapped to a node of the file. */
  nodeId: string | null;
  /** The runtime's node / kernel name. */
  name: string;
  opType: string;
  /** Mean time per run in milliseconds. */
  ms: number;
  /** ms / sum of all rows' ms. */
  share: number;
  provider: string;
  /** How nodeId was found: the node's name, ORT's generated "<op>_<index>" name, a fused kernel's output value. */
  mappedBy?: 'name' | 'index' | 'fused-output' | 'kernel';
}

export interface ProfileResult {
  provider: string;
  runs: number;
  optimized: boolean;
  /** Sorted by ms, largest first. */
  rows: ProfileRow[];
  /** Sum of rows' ms (kernel time per run). */
  totalMs: number;
  /** Mean wall time of one run as the runtime measured it. */
  runMs: number;
  overlay: WireNodeOverlay;
  /** Rows that map to no node, and why mapping is partial (e.g. TF.js kernels). */
  notes: string[];
}

export type RunMethods = {
  run: { params: RunParams; result: RunSummary };
  /** Statistics and histograms of intermediate values for one input (summaries only, never tensors). */
  activations: { params: ActivationParams; result: ActivationsResult };
  /** One run with every node output exposed, reduced per node to mean|x| or std: a graph overlay. */
  activationOverlay: { params: RunInputParams & { measure?: OverlayMeasure }; result: ActivationOverlayResult };
  /** Per-node kernel times averaged over runs (ORT profiling / tf.profile). */
  profile: { params: ProfileParams; result: ProfileResult };
};

const ident = str(256);
const inputChecks: Record<string, Check> = {
  inputs: optional(arrayOf(obj({
    name: optional(ident),
    file: optional(str(4096)),
    synth: optional(oneOf(...SYNTH_KINDS)),
    image: optional(obj({ normalize: optional(oneOf('0-1', '-1-1', 'imagenet', 'raw')), order: optional(oneOf('rgb', 'bgr')), layout: optional(oneOf('nchw', 'nhwc')) })),
  }), 64)),
  synth: optional(oneOf(...SYNTH_KINDS)),
  seed: optional(num(0, 2 ** 31, true)),
  dims: optional((x, p) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${p} must be an object`;
    const entries = Object.entries(x);
    if (entries.length > 64) return `${p} has too many entries`;
    for (const [k, v] of entries) {
      const problem = ident(k, `${p} key`) ?? num(1, 1 << 20, true)(v, `${p}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  }),
  // Any device name: the backend that runs the model skips the ones it does not have and says why.
  providers: optional(arrayOf(deviceName, 10)),
};
export const runParamsCheck: Check = obj({
  ...inputChecks,
  runs: optional(num(1, 1000, true)),
  warmup: optional(num(0, 100, true)),
  topK: optional(num(0, 100, true)),
});

export const runValidators: { [K in keyof RunMethods]: Check } = {
  run: runParamsCheck,
  activations: obj({ ...inputChecks, values: arrayOf(str(4096), MAX_ACTIVATION_VALUES), bins: optional(num(1, MAX_ACTIVATION_BINS, true)) }),
  activationOverlay: obj({ ...inputChecks, measure: optional(oneOf('meanAbs', 'std')) }),
  profile: obj({ ...inputChecks, runs: optional(num(1, 100, true)), optimized: optional(bool) }),
};
