import type { Model } from '../model/graph';
import type { ChannelStats, GroupStats, ModelStats, StatsBlock, TensorStats } from '../protocol/stats';
import { Accumulator, FINE_BINS } from './accumulator';
import { addSparse, intervals, kurtosis, linearEdges, percentile, rebin, toSparse, type SparseFine } from './fine-histogram';
import { findDuplicates, healthFindings } from './findings';
import { ScanKernel } from './kernel-scan';
import { ScanBuffers, scanProblem, scanTensor, type ScanOptions } from './scan';
import { channelPlan, storedDType, weightContexts, type WeightContext } from './weight-context';

export interface StatsOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Bins of the summary histograms (default 64). */
  bins?: number;
  /** false: the plain JS loops only, without the WebAssembly kernel (kernel-scan.ts); tests compare the two. */
  kernel?: boolean;
}

/** Everything needed to merge a tensor into a group without rescanning it. */
export interface Moments {
  count: number;
  n: number;
  min: number;
  max: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
  sumSquares: number;
  zeros: number;
  nan: number;
  inf: number;
  fine: SparseFine;
}

const nul = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The summary block (stats + display histogram) for a set of moments. */
export function block(m: Moments, bins: number): StatsBlock {
  const iv = intervals(m.fine, m.min, m.max);
  const finite = m.n > 0;
  const edges = finite ? linearEdges(m.min, m.max, m.min === m.max ? 1 : bins) : [];
  return {
    count: m.count,
    min: finite ? m.min : null,
    max: finite ? m.max : null,
    mean: finite ? nul(m.mean) : null,
    std: finite ? nul(Math.sqrt(m.m2 / m.n)) : null,
    l2: finite ? nul(Math.sqrt(m.sumSquares)) : null,
    zeros: m.zeros,
    sparsity: m.count ? m.zeros / m.count : 0,
    nan: m.nan,
    inf: m.inf,
    p1: finite ? nul(percentile(iv, m.n, 0.01)) : null,
    p50: finite ? nul(percentile(iv, m.n, 0.5)) : null,
    p99: finite ? nul(percentile(iv, m.n, 0.99)) : null,
    kurtosis: finite ? nul(kurtosis(iv, m.mean)) : null,
    histogram: { edges, counts: finite ? rebin(iv, edges) : [], exact: false },
  };
}

function momentsOf(acc: Accumulator): Moments {
  return {
    count: acc.count,
    n: acc.n,
    min: acc.min,
    max: acc.max,
    mean: acc.mean,
    m2: acc.variance * acc.n,
    sumSquares: acc.sumSquares,
    zeros: acc.zeros,
    nan: acc.nan,
    inf: acc.inf,
    fine: toSparse(acc.hist),
  };
}

/** Chan et al.'s pairwise merge of mean and squared deviations; histograms add bin by bin. */
export function mergeMoments(parts: Moments[]): Moments {
  // One part (a group of one tensor): its own bins, without the dense round trip that would give the same ones.
  const dense = parts.length === 1 ? undefined : new Float64Array(FINE_BINS);
  const out: Moments = { count: 0, n: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, sumSquares: 0, zeros: 0, nan: 0, inf: 0, fine: { bins: new Uint16Array(0), counts: new Float64Array(0) } };
  for (const p of parts) {
    out.count += p.count;
    out.zeros += p.zeros;
    out.nan += p.nan;
    out.inf += p.inf;
    out.sumSquares += p.sumSquares;
    if (p.min < out.min) out.min = p.min;
    if (p.max > out.max) out.max = p.max;
    if (p.n > 0) {
      const n = out.n + p.n;
      const delta = p.mean - out.mean;
      out.mean += (delta * p.n) / n;
      out.m2 += p.m2 + (delta * delta * out.n * p.n) / n;
      out.n = n;
    }
    if (dense) addSparse(dense, p.fine);
  }
  out.fine = dense ? toSparse(dense) : parts.length === 1 ? parts[0].fine : out.fine;
  return out;
}

function channelStats(acc: Accumulator, axis: number): ChannelStats | undefined {
  const sq = acc.channelSq;
  if (!sq) return undefined;
  const norms = new Float64Array(sq.length);
  for (let i = 0; i < sq.length; i++) norms[i] = Math.sqrt(Math.max(0, sq[i]));
  // A typed array sorts numerically without a comparator call per pair (thousands of channels per tensor).
  const sorted = norms.filter(Number.isFinite).sort();
  if (!sorted.length) return undefined;
  const median = sorted[Math.floor(sorted.length / 2)];
  // Dead: no signal at all, or a millionth of a typical channel (a pruned or collapsed filter).
  const threshold = Math.max(1e-12, median * 1e-6);
  const dead: number[] = [];
  let deadCount = 0;
  norms.forEach((v, i) => {
    if (v <= threshold) {
      deadCount++;
      if (dead.length < 64) dead.push(i);
    }
  });
  return { axis, channels: norms.length, minNorm: sorted[0], medianNorm: median, dead, deadCount };
}

/** One streaming pass over every weight of the model, then groups, the model aggregate and the health findings. */
export async function computeModelStats(model: Model, opts: StatsOptions = {}): Promise<ModelStats> {
  const t0 = performance.now();
  const bins = opts.bins ?? 64;
  const contexts = await weightContexts(model);
  const totalBytes = contexts.reduce((s, c) => s + (c.tensor.data?.byteLength ?? c.tensor.elementCount * 8), 0) || 1;
  let doneBytes = 0;
  let lastReport = 0;
  const report = (name: string) => {
    const now = performance.now();
    if (opts.onProgress && now - lastReport > 100) {
      lastReport = now;
      opts.onProgress(Math.min(1, doneBytes / totalBytes), `weights: ${name}`);
    }
  };
  const kernel = opts.kernel === false ? undefined : ScanKernel.create();
  const acc = new Accumulator(kernel);
  const buf = new ScanBuffers();
  const tensors: TensorStats[] = [];
  const moments: Moments[] = [];
  const scanned: WeightContext[] = [];
  for (const ctx of contexts) {
    const t = ctx.tensor;
    const base = {
      name: t.name,
      dtype: t.dtype === storedDType(t) && ctx.quantization?.kind === 'affine' ? 'float32' : t.dtype,
      ...(storedDType(t) !== t.dtype || ctx.quantization?.kind === 'affine' ? { storedDType: storedDType(t) } : {}),
      shape: t.shape,
      ...(ctx.quantizationNote ? { quantization: ctx.quantizationNote } : {}),
      group: ctx.group,
      consumers: ctx.consumers.map((n) => n.id),
    };
    const problem = scanProblem(t);
    acc.reset(problem ? undefined : channelPlan(t, ctx.channelAxis));
    if (!problem) {
      const scanOpts: ScanOptions = {
        quantization: ctx.quantization,
        signal: opts.signal,
        onBytes: (n) => {
          doneBytes += n;
          report(t.name);
        },
      };
      if (!(await kernel?.scan(t, acc, scanOpts))) await scanTensor(t, buf, (a, u, len) => acc.add(a, u, len), scanOpts);
    }
    const m = momentsOf(acc);
    if (problem) m.count = t.elementCount;
    const channels = !problem && ctx.channelAxis !== undefined ? channelStats(acc, ctx.channelAxis) : undefined;
    tensors.push({ ...base, ...block(m, bins), ...(channels ? { channels } : {}), ...(problem ? { problem } : {}) });
    if (!problem) {
      moments.push(m);
      scanned.push(ctx);
    }
  }
  const byGroup = new Map<string, Moments[]>();
  scanned.forEach((c, i) => {
    const list = byGroup.get(c.group) ?? [];
    list.push(moments[i]);
    byGroup.set(c.group, list);
  });
  const groups: GroupStats[] = [...byGroup].map(([name, parts]) => ({ name, tensors: parts.length, ...block(mergeMoments(parts), bins) }));
  const model_: GroupStats = { name: '(model)', tensors: moments.length, ...block(mergeMoments(moments), bins) };
  const duplicates = await findDuplicates(scanned.map((c, i) => ({ tensor: c.tensor, moments: moments[i] })), opts.signal);
  const findings = healthFindings(tensors, duplicates);
  opts.onProgress?.(1, 'weights: done');
  return { tensors, groups, model: model_, findings, elapsedMs: Math.round(performance.now() - t0) };
}
