import type { Model } from '../model/graph';
import type { NdArray } from '../formats/arrays/ndarray';
import type { RunParams, RunSummary } from '../protocol/run';
import { findLabels } from './labels';
import { sessions } from './load';
import { withModel, type ModelRef } from './model-ref';
import { planInputs } from './inputs';
import { latencyStats, summarizeOutput } from './output-summary';
import type { RuntimeSession } from './session';
import { tensorRun } from './session';
import { ModelError, oneLine } from '../model/errors';

export interface RunModelOptions extends RunParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Arrays to feed directly, by input name (tests, conformance); they win over `inputs`. */
  feeds?: Map<string, NdArray>;
  /** Record per-node provider placement on the first run (ORT profiling). Default: on for non-CPU providers' checks. */
  placement?: boolean;
}

export interface RunModelResult {
  summary: RunSummary;
  /** Outputs of the last run, whole: for `--save-outputs` and comparisons. Never sent over RPC. */
  outputs: Map<string, NdArray>;
  session: RuntimeSession;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('run was cancelled'), { name: 'AbortError' });
}

/** Loads (or reuses) the model's session, feeds it, times `warmup` + `runs` executions, and summarises the outputs. */
export function runModel(ref: ModelRef, opts: RunModelOptions = {}): Promise<RunModelResult> {
  return withModel(ref, (model) => runOpened(model, opts));
}

async function runOpened(model: Model, opts: RunModelOptions): Promise<RunModelResult> {
  const path = model.path;
  const runs = opts.runs ?? 10;
  const warmup = opts.warmup ?? 1;
  opts.onProgress?.(0, 'loading model');
  const { session, cached } = await sessions.get(model, { providers: opts.providers, placement: opts.placement });
  checkAbort(opts.signal);
  const plan = await planInputs(session.inputs, opts.inputs ?? [], { ...opts, model, modelPath: path });
  for (const [k, v] of opts.feeds ?? []) plan.feeds.set(k, v);
  const run = tensorRun(session, path);
  const total = warmup + runs;
  let outputs = new Map<string, NdArray>();
  const times: number[] = [];
  for (let i = 0; i < total; i++) {
    checkAbort(opts.signal);
    const t0 = performance.now();
    try {
      outputs = await run(plan.feeds, { signal: opts.signal });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new ModelError(path, `inference failed on ${session.provider} (${oneLine(e)})`);
    }
    const dt = performance.now() - t0;
    if (i >= warmup) times.push(dt);
    opts.onProgress?.((i + 1) / total, i < warmup ? 'warming up' : `run ${i - warmup + 1}/${runs}`);
  }
  const labels = findLabels(path, model.metadata);
  const summary: RunSummary = {
    provider: session.provider,
    skipped: session.skipped,
    ...(session.placement ? { placement: session.placement } : {}),
    ...(session.server ? { server: session.server } : {}),
    loadMs: session.loadMs,
    cached,
    inputs: plan.used,
    dims: plan.dims,
    outputs: [...outputs].map(([name, a]) => summarizeOutput(name, a, opts.topK ?? 5, labels)),
    runs: times.length,
    latencyMs: latencyStats(times),
  };
  return { summary, outputs, session };
}

/** Drops the model's cached sessions (called when the engine closes the model). */
export function releaseModel(model: Model): Promise<void> {
  return sessions.release(model);
}
