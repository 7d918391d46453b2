import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError, oneLine } from '../../../model/errors';
import { checkOnnxDataPaths } from '../../../formats/onnx/external-locations';
import type { NdArray } from '../../../formats/arrays/ndarray';
import { toOrtTensor } from './session';

/**
 * onnxruntime's own profiler: a dedicated session (profiling cannot be restarted once ended, so it is never cached)
 * writes a Chrome-trace JSON into a temp folder; we keep the "Node" kernel events and delete the folder.
 */

export interface KernelEvent {
  /** Node name without the "_kernel_time" suffix (ORT generates "<op>_<index>" for unnamed nodes). */
  name: string;
  opType: string;
  /** Index of the node in ORT's graph (for unoptimised graphs: the file's node order). */
  index: number | undefined;
  provider: string;
  /** Microseconds, summed over the profiled runs. */
  us: number;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string; node_index?: string };
}

/** Sums kernel events per node over the trace; `run` events (one per session.run) give the wall time. */
export function parseTrace(events: TraceEvent[], skipRuns: number): { kernels: KernelEvent[]; runUs: number[] } {
  const byName = new Map<string, KernelEvent>();
  const runUs: number[] = [];
  let run = -1;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') {
      run++;
      if (run >= skipRuns) runUs.push(e.dur ?? 0);
      continue;
    }
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time')) continue;
    // Node events precede their run's model_run event (it closes when the run ends).
    if (run + 1 < skipRuns) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const k = byName.get(name) ?? {
      name,
      opType: e.args?.op_name ?? '',
      index: e.args?.node_index !== undefined ? Number(e.args.node_index) : undefined,
      provider: e.args?.provider ?? '',
      us: 0,
    };
    k.us += e.dur ?? 0;
    byName.set(name, k);
  }
  return { kernels: [...byName.values()], runUs };
}

/** Runs the model `1 + runs` times under the profiler (the first run warms up and is not counted). */
export async function profileOnnx(
  path: string,
  provider: string,
  feeds: Map<string, NdArray>,
  opts: { runs: number; optimized: boolean; signal?: AbortSignal; onRun?: (done: number) => void },
): Promise<{ kernels: KernelEvent[]; runUs: number[] }> {
  await checkOnnxDataPaths(path); // ORT reads external data itself: held to the model's folder first
  const dir = await mkdtemp(join(tmpdir(), 'mi-ort-profile-'));
  let session: ort.InferenceSession | undefined;
  try {
    try {
      session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        logSeverityLevel: 4,
        graphOptimizationLevel: opts.optimized ? 'all' : 'disabled',
        enableProfiling: true,
        profileFilePrefix: join(dir, 'p'),
      });
    } catch (e) {
      throw new ModelError(path, `cannot be loaded for profiling on ${provider} (${oneLine(e)})`);
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, a] of feeds) ortFeeds[name] = toOrtTensor(a);
    for (let i = 0; i <= opts.runs; i++) {
      if (opts.signal?.aborted) throw Object.assign(new Error('profile was cancelled'), { name: 'AbortError' });
      try {
        await session.run(ortFeeds);
      } catch (e) {
        throw new ModelError(path, `inference failed on ${provider} (${oneLine(e)})`);
      }
      opts.onRun?.(i);
    }
    session.endProfiling(); // the node binding returns nothing: the one file in `dir` is the trace
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    if (!files.length) throw new ModelError(path, 'onnxruntime wrote no profile');
    const events = JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as TraceEvent[];
    return parseTrace(events, 1);
  } finally {
    await session?.release().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
