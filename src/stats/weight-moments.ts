import type { Tensor } from '../model/tensor';
import type { ChannelStats } from '../protocol/stats';
import { Accumulator } from './accumulator';
import { toSparse, type SparseFine } from './fine-histogram';
import { ScanKernel } from './kernel-scan';
import { ScanBuffers, scanTensor, type ScanOptions } from './scan';
import { channelPlan } from './weight-context';

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

/** One tensor's scan: its moments, and its channel norms where it has a channel axis. */
export interface WeightScan {
  moments: Moments;
  channels?: ChannelStats;
}

/** The moments of a tensor that was not scanned: its element count, nothing else. */
export function unscanned(count: number): Moments {
  return { count, n: 0, min: Infinity, max: -Infinity, mean: NaN, m2: NaN, sumSquares: 0, zeros: 0, nan: 0, inf: 0, fine: { bins: new Uint16Array(0), counts: new Float64Array(0) } };
}

/**
 * Scans tensors one at a time into moments: the WebAssembly kernel where it takes the tensor, else the JS loops.
 * Holds the kernel, the accumulator and the buffers, reused from tensor to tensor. The main thread has one; each
 * stats worker (scan-worker.ts) has its own.
 */
export class WeightScanner {
  private readonly kernel: ScanKernel | undefined;
  private readonly acc: Accumulator;
  private readonly buf = new ScanBuffers();

  /** kernel false: the plain JS loops only (tests compare the two). */
  constructor(kernel = true) {
    this.kernel = kernel ? ScanKernel.create() : undefined;
    this.acc = new Accumulator(this.kernel);
  }

  async scan(t: Tensor, channelAxis: number | undefined, opts: ScanOptions): Promise<WeightScan> {
    const acc = this.acc;
    acc.reset(channelPlan(t, channelAxis));
    if (!(await this.kernel?.scan(t, acc, opts))) await scanTensor(t, this.buf, (a, u, len) => acc.add(a, u, len), opts);
    const channels = channelAxis !== undefined ? channelStats(acc, channelAxis) : undefined;
    return { moments: momentsOf(acc), ...(channels ? { channels } : {}) };
  }
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
