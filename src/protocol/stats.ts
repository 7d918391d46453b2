import type { TensorRole } from '../model/tensor';
import type { Check } from './validate';
import { arrayOf, bool, nothing, num, obj, str } from './validate';

/**
 * Stats feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes. Numbers that have no value
 * (min of a tensor with no finite element) are null, because JSON has no NaN/Infinity.
 */

export interface WireHistogram {
  /** bins + 1 edges, ascending. */
  edges: number[];
  counts: number[];
  /**
   * true: every element was binned by comparing it with the edges (a dedicated pass).
   * false: derived from the fine float-bit histogram of the summary pass; a fine bin (relative width 2^-7) that
   * straddles an edge is split in proportion to the overlap, so a count may differ by that bin's share.
   */
  exact: boolean;
  /** Set when the bins hold stored integers of a quantized tensor rather than real values. */
  raw?: boolean;
}

export interface ChannelStats {
  /** Axis of the output channels the norms are taken over (0 for Conv/[out,in] weights, rank-1 for [in,out]). */
  axis: number;
  channels: number;
  minNorm: number;
  medianNorm: number;
  /** Indices of channels whose L2 norm is near zero (at most 64 listed). */
  dead: number[];
  deadCount: number;
}

export interface StatsBlock {
  /** Elements, NaN and Inf included. */
  count: number;
  /** Over finite elements; null when there are none. */
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation (divides by n). */
  std: number | null;
  l2: number | null;
  zeros: number;
  /** zeros / count. */
  sparsity: number;
  nan: number;
  inf: number;
  /** Percentiles from the fine histogram: within one fine bin (relative 2^-7) of the exact order statistic. */
  p1: number | null;
  p50: number | null;
  p99: number | null;
  /** Kurtosis (not excess; a normal distribution gives 3), from the fine histogram. */
  kurtosis: number | null;
  histogram: WireHistogram;
}

export interface TensorStats extends StatsBlock {
  name: string;
  dtype: string;
  /** Stored element type when the values shown are dequantized. */
  storedDType?: string;
  shape: number[];
  /** How real values were obtained from stored integers, e.g. "affine scale=0.02 zp=128 (DequantizeLinear)". */
  quantization?: string;
  /** Group (scope) the tensor is aggregated into (weights only are aggregated). */
  group: string;
  /**
   * Absent for weights. Any other role (buffer, counter, optimizer state, constant) is listed with its own numbers
   * but left out of the groups, the model aggregate and the health findings.
   */
  role?: Exclude<TensorRole, 'weight'>;
  /** Node ids reading this tensor, for links into the graph. */
  consumers: string[];
  channels?: ChannelStats;
  /** Why stats are missing or partial (bytes unavailable, non-numeric dtype). */
  problem?: string;
}

export interface GroupStats extends StatsBlock {
  name: string;
  tensors: number;
}

export type Severity = 'error' | 'warning' | 'info';
export type FindingKind = 'nan' | 'inf' | 'all-zero' | 'dead-channels' | 'exploding' | 'outlier' | 'duplicate' | 'unreadable';

export interface Finding {
  severity: Severity;
  kind: FindingKind;
  tensor: string;
  message: string;
  /** Consumer nodes of the tensor (the link target in the graph). */
  nodeIds: string[];
  /** Sort key within a kind: larger is worse. */
  score: number;
}

export interface ModelStats {
  tensors: TensorStats[];
  /** Over the weights (tensors without a role). */
  groups: GroupStats[];
  model: GroupStats;
  /** Over the weights (tensors without a role). */
  findings: Finding[];
  /** Milliseconds the summary pass took (the cached result keeps the first pass's time). */
  elapsedMs: number;
}

export interface HistogramRequest {
  /** Tensor names; two or more share one set of edges so their histograms can be overlaid. */
  tensors: string[];
  bins: number;
  /** Range [-m, m] with m = max |value| instead of [min, max]. */
  symmetric: boolean;
  /** Bin the stored integers of quantized tensors instead of the real values. */
  raw: boolean;
}

export type StatsMethods = {
  /** Summary pass over every weight: per tensor, per group, whole model, and the health findings. Cached per model. */
  getWeightStats: { params: Record<string, never>; result: ModelStats };
  /** Exact histograms of a few tensors on shared edges (a dedicated pass over just those tensors). */
  getHistograms: { params: HistogramRequest; result: { name: string; histogram: WireHistogram }[] };
};

export const MAX_HISTOGRAM_TENSORS = 16;
export const MAX_HISTOGRAM_BINS = 4096;

export const statsValidators: { [K in keyof StatsMethods]: Check } = {
  getWeightStats: nothing,
  getHistograms: obj({
    tensors: arrayOf(str(4096), MAX_HISTOGRAM_TENSORS),
    bins: num(1, MAX_HISTOGRAM_BINS, true),
    symmetric: bool,
    raw: bool,
  }),
};
