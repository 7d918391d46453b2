import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DType } from '../model/dtype';
import { ModelError } from '../model/errors';
import type { FileLocation, Quantization, Tensor } from '../model/tensor';
import { throwIfCancelled } from '../protocol/rpc';
import { FileRegions } from '../formats/file-regions';
import { ScanKernel } from './kernel-scan';
import type { ScanOptions } from './scan';
import { channelPlan } from './weight-context';
import type { WeightScan, WeightScanner } from './weight-moments';

/**
 * Weight statistics on more than one core: worker threads (scan-worker.ts) that each scan whole tensors lying in
 * plain files (SafeTensors, GGUF, ONNX external data and big raw_data, …), reading the bytes themselves, while the
 * main thread scans the rest. Only tensors the WebAssembly kernel takes go to a worker, so a worker's result is the
 * main thread's to the bit.
 */

/** What a worker needs to read and scan one tensor. */
export interface PoolJob {
  name: string;
  dtype: DType;
  storedDType?: DType;
  shape: number[];
  elementCount: number;
  quantization?: Quantization;
  location: FileLocation;
  byteLength: number;
  channelAxis?: number;
}

export interface PoolRequest {
  id: number;
  job: PoolJob;
}

export type PoolReply =
  | { id: number; progress: number; scan?: undefined; error?: undefined }
  | { id: number; progress: number; scan: WeightScan; error?: undefined }
  | { id: number; error: { file: string; problem: string } | { message: string }; progress?: undefined; scan?: undefined };

/** The job for a tensor a worker can scan, or undefined (no file location, or a tensor the kernel does not take). */
export function poolJob(t: Tensor, channelAxis: number | undefined, readerQuantization: Quantization | undefined): PoolJob | undefined {
  const location = t.data?.location;
  if (!location || !ScanKernel.takes(t, channelPlan(t, channelAxis)?.layout, { quantization: readerQuantization })) return undefined;
  return {
    name: t.name, dtype: t.dtype, ...(t.storedDType ? { storedDType: t.storedDType } : {}), shape: t.shape, elementCount: t.elementCount,
    ...(t.quantization ? { quantization: t.quantization } : {}), location, byteLength: t.data!.byteLength,
    ...(channelAxis !== undefined ? { channelAxis } : {}),
  };
}

/**
 * Scans a job's tensor with `scanner` in a worker, reading its bytes with blocking reads (the worker has nothing
 * else to do meanwhile, and on a busy machine that costs less than handing each read to libuv's pool; the main
 * thread keeps its async reads, which overlap its counting and let it answer the workers). The file is checked to
 * be the one the model opened.
 */
export async function scanJob(scanner: WeightScanner, job: PoolJob, opts: Pick<ScanOptions, 'onBytes' | 'signal'>): Promise<WeightScan> {
  const { location: at, byteLength } = job;
  const regions = new FileRegions(at.file, at.offset + byteLength, at.id, true);
  try {
    const t: Tensor = {
      name: job.name,
      dtype: job.dtype,
      ...(job.storedDType ? { storedDType: job.storedDType } : {}),
      shape: job.shape,
      elementCount: job.elementCount,
      location: 'inline',
      ...(job.quantization ? { quantization: job.quantization } : {}),
      data: regions.region(at.offset, byteLength, `tensor '${job.name}'`),
    };
    return await scanner.scan(t, job.channelAxis, opts);
  } finally {
    await regions.dispose();
  }
}

/** Workers this machine can use beside the main thread (at most 3: past that the file reads are the limit). */
export function defaultWorkers(): number {
  return Math.max(0, Math.min(3, availableParallelism() - 1));
}

/** The worker script: beside this module (sources, run through tsx) or under the bundle's stats/ folder. */
function workerFile(): string | undefined {
  const candidates = [join(__dirname, 'stats', 'scan-worker.js'), join(__dirname, '..', 'stats', 'scan-worker.js'), join(__dirname, 'scan-worker.ts')];
  return candidates.find((f) => existsSync(f));
}

/** One worker thread, one job at a time. */
class PoolWorker {
  private readonly worker: Worker;
  private current: { id: number; resolve: (s: WeightScan) => void; reject: (e: Error) => void; onBytes: (n: number) => void } | undefined;
  private seq = 0;
  failed: Error | undefined;

  constructor(file: string) {
    // From the sources (tests, scripts under tsx) the worker registers tsx itself: a worker does not inherit it.
    this.worker = file.endsWith('.ts')
      ? new Worker(`const r = require('node:module').createRequire(${JSON.stringify(file)}); r('tsx/cjs'); r(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
    this.worker.on('message', (r: PoolReply) => this.reply(r));
    const fail = (e: Error) => {
      this.failed ??= e;
      this.current?.reject(e);
      this.done();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`a stats worker stopped (exit code ${code})`)));
    // An idle worker must not keep a finished CLI run alive; a busy one must (nothing else may be pending). Set
    // after the listeners, as adding one refs the worker again.
    this.worker.unref();
  }

  scan(job: PoolJob, onBytes: (n: number) => void): Promise<WeightScan> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const id = ++this.seq;
      this.current = { id, resolve, reject, onBytes };
      this.worker.ref();
      this.worker.postMessage({ id, job } satisfies PoolRequest);
    });
  }

  private reply(r: PoolReply): void {
    const c = this.current;
    if (!c || c.id !== r.id) return;
    if (r.progress) c.onBytes(r.progress);
    if (r.error) {
      this.done();
      c.reject('problem' in r.error ? new ModelError(r.error.file, r.error.problem) : new Error(r.error.message));
    } else if (r.scan) {
      this.done();
      jobsDone++;
      c.resolve(r.scan);
    }
  }

  private done(): void {
    this.current = undefined;
    this.worker.unref();
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

let jobsDone = 0;
/** Tensors scanned by workers since the process started (tests check that a run used them). */
export function workerJobsDone(): number {
  return jobsDone;
}

/** Idle workers are kept this long for the next run (a long-lived engine reuses them; a CLI run exits anyway: unref'd). */
const IDLE_MS = 30_000;
const idle: PoolWorker[] = [];
let idleTimer: NodeJS.Timeout | undefined;

function takeWorkers(n: number, file: string): PoolWorker[] {
  clearTimeout(idleTimer);
  const out = idle.splice(0, n);
  while (out.length < n) out.push(new PoolWorker(file));
  return out;
}

/** Workers back to the idle set after a run that ended cleanly (a cancelled or failed run closes its own). */
function returnWorkers(workers: PoolWorker[]): void {
  for (const w of workers) {
    if (w.failed) void w.close();
    else idle.push(w);
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    for (const w of idle.splice(0)) void w.close();
  }, IDLE_MS);
  idleTimer.unref();
}

/**
 * Scans `own` (indices only the main thread can do) and `jobs` (indices with their PoolJob) with `local` (the main
 * thread's scan) and up to `workers` threads together: the main thread does its own first, then everybody takes the
 * next job when free. Results land in `out` by index. A worker that dies leaves its job to the others; a ModelError
 * or a cancel from any side ends the whole run (workers stopped), as a main-thread scan would.
 */
export async function runPooled(
  own: number[],
  jobs: { index: number; job: PoolJob }[],
  workers: number,
  local: (index: number) => Promise<WeightScan>,
  onBytes: (n: number) => void,
  out: WeightScan[],
  signal?: AbortSignal,
): Promise<void> {
  const file = workers > 0 && jobs.length ? workerFile() : undefined;
  const pool = file ? takeWorkers(Math.min(workers, jobs.length), file) : [];
  // Biggest first, so that no thread is left with one big tensor while the others have finished.
  const queue = [...jobs].sort((a, b) => b.job.byteLength - a.job.byteLength || a.index - b.index);
  let stop = false;
  const halt = () => {
    stop = true;
    for (const w of pool) void w.close();
  };
  signal?.addEventListener('abort', halt, { once: true });
  const drain = async (scan: (j: { index: number; job: PoolJob }) => Promise<WeightScan>, worker: boolean) => {
    while (queue.length && !stop) {
      const j = queue.shift()!;
      try {
        out[j.index] = await scan(j);
      } catch (e) {
        // A dead worker's job goes back for the others; a bad file or a cancel is everybody's end.
        if (worker && !(e instanceof ModelError) && !stop) {
          queue.unshift(j);
          return;
        }
        halt();
        throw e;
      }
    }
  };
  const main = async () => {
    try {
      for (const i of own) if (!stop) out[i] = await local(i);
    } catch (e) {
      halt();
      throw e;
    }
    await drain((j) => local(j.index), false);
  };
  try {
    // Every run settles before this returns (no scan is left writing into `out`).
    const settled = await Promise.allSettled([main(), ...pool.map((w) => drain((j) => w.scan(j.job, onBytes), true))]);
    throwIfCancelled(signal, 'weight statistics');
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    // Jobs a dying worker handed back after the main thread had finished.
    await drain((j) => local(j.index), false);
  } finally {
    signal?.removeEventListener('abort', halt);
    if (stop) await Promise.all(pool.map((w) => w.close()));
    else returnWorkers(pool);
  }
}
