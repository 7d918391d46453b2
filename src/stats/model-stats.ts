import type { Model } from '../model/graph';
import { tensorRole } from '../model/tensor';
import type { GroupStats, ModelStats, StatsBlock, TensorStats } from '../protocol/stats';
import { FINE_BINS } from './accumulator';
import { addSparse, intervals, kurtosis, linearEdges, percentile, rebin, toSparse } from './fine-histogram';
import { findDuplicates, healthFindings } from './findings';
import { scanProblem, type ScanOptions } from './scan';
import { defaultWorkers, poolJob, runPooled, type PoolJob } from './scan-pool';
import { storedDType, weightContexts, type WeightContext } from './weight-context';
import { unscanned, WeightScanner, type Moments, type WeightScan } from './weight-moments';

export type { Moments } from './weight-moments';

export interface StatsOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Bins of the summary histograms (default 64). */
  bins?: number;
  /** false: the plain JS loops only, without the WebAssembly kernel (kernel-scan.ts); tests compare the two. */
  kernel?: boolean;
  /** Worker threads for tensors in plain files (scan-pool.ts); default: one per core beyond the first, at most 3. */
  workers?: number;
  /** Workers start only when the tensors they could take hold this many bytes (default WORKER_MIN_BYTES). */
  workerMinBytes?: number;
}

/** Below this, starting worker threads (~50 ms) costs more than they save. */
export const WORKER_MIN_BYTES = 64 << 20;

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

/**
 * One streaming pass over every stored tensor of the model, then groups, the model aggregate and the health findings
 * over the weights only: BatchNorm statistics, step counters, optimizer state and shape constants get their own
 * numbers in the table, but a counter of 50000 steps is not an exploding weight, nor two zero Adam moments duplicates.
 */
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
  const scanner = new WeightScanner(opts.kernel !== false);
  const problems = contexts.map((c) => scanProblem(c.tensor));
  const scans: WeightScan[] = new Array(contexts.length);
  const scanOpts = (c: WeightContext): ScanOptions => ({ quantization: c.quantization, signal: opts.signal, onBytes: (n) => onBytes(n, c.tensor.name) });
  const onBytes = (n: number, name = 'weights') => {
    doneBytes += n;
    report(name);
  };
  // Tensors in plain files that the kernel takes may go to worker threads; the rest are the main thread's.
  const own: number[] = [];
  const jobs: { index: number; job: PoolJob }[] = [];
  contexts.forEach((c, i) => {
    if (problems[i]) return;
    const job = opts.kernel === false ? undefined : poolJob(c.tensor, c.channelAxis, c.quantization);
    if (job) jobs.push({ index: i, job });
    else own.push(i);
  });
  const pooledBytes = jobs.reduce((s, j) => s + j.job.byteLength, 0);
  const workers = pooledBytes >= (opts.workerMinBytes ?? WORKER_MIN_BYTES) ? (opts.workers ?? defaultWorkers()) : 0;
  // The main thread reads with libuv (its reads overlap its counting, and worker messages are answered meanwhile).
  await runPooled(own, jobs, workers, (i) => scanner.scan(contexts[i].tensor, contexts[i].channelAxis, scanOpts(contexts[i])), onBytes, scans, opts.signal);
  const tensors: TensorStats[] = [];
  const weightStats: TensorStats[] = [];
  const moments: Moments[] = [];
  const scanned: WeightContext[] = [];
  contexts.forEach((ctx, i) => {
    const t = ctx.tensor;
    const role = tensorRole(t);
    const base = {
      name: t.name,
      dtype: t.dtype === storedDType(t) && ctx.quantization?.kind === 'affine' ? 'float32' : t.dtype,
      // GGML blocks are reported by their block type (Q4_K…), which says more than their bytes' uint8.
      ...(ctx.quantization?.kind === 'ggml' ? { storedDType: ctx.quantization.type }
        : storedDType(t) !== t.dtype || ctx.quantization?.kind === 'affine' ? { storedDType: storedDType(t) } : {}),
      shape: t.shape,
      ...(ctx.quantizationNote ? { quantization: ctx.quantizationNote } : {}),
      group: ctx.group,
      consumers: ctx.consumers.map((n) => n.id),
      ...(role !== 'weight' ? { role } : {}),
    };
    const problem = problems[i];
    const { moments: m, channels } = problem ? { moments: unscanned(t.elementCount), channels: undefined } : scans[i];
    const stats: TensorStats = { ...base, ...block(m, bins), ...(channels ? { channels } : {}), ...(problem ? { problem } : {}) };
    tensors.push(stats);
    if (role !== 'weight') return;
    weightStats.push(stats);
    if (!problem) {
      moments.push(m);
      scanned.push(ctx);
    }
  });
  const byGroup = new Map<string, Moments[]>();
  scanned.forEach((c, i) => {
    const list = byGroup.get(c.group) ?? [];
    list.push(moments[i]);
    byGroup.set(c.group, list);
  });
  const groups: GroupStats[] = [...byGroup].map(([name, parts]) => ({ name, tensors: parts.length, ...block(mergeMoments(parts), bins) }));
  const model_: GroupStats = { name: '(model)', tensors: moments.length, ...block(mergeMoments(moments), bins) };
  const duplicates = await findDuplicates(scanned.map((c, i) => ({ tensor: c.tensor, moments: moments[i] })), opts.signal);
  const findings = healthFindings(weightStats, duplicates);
  opts.onProgress?.(1, 'weights: done');
  return { tensors, groups, model: model_, findings, elapsedMs: Math.round(performance.now() - t0) };
}
