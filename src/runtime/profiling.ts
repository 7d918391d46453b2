import type { ProfileParams, ProfileResult, ProfileRow } from '../protocol/run';
import { ModelError } from '../model/errors';
import { runtimeOf } from './load';
import { prepareRun, type ActivationContext } from './activations';
import { mapKernels, profileOverlay } from './profile-map';
import type * as OnnxProfile from './onnx/profile';
import type * as Intermediate from './tfjs/intermediate';

/* eslint-disable @typescript-eslint/no-require-imports */
const onnxProfile = () => require('./onnx/profile') as typeof OnnxProfile;
const tfjsExtra = () => require('./tfjs/intermediate') as typeof Intermediate;
/* eslint-enable @typescript-eslint/no-require-imports */

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Per-node kernel times averaged over `runs` (after one warm-up), sorted, with shares of the total and a graph overlay.
 * ONNX: onnxruntime's profiler on a dedicated session; TF.js: tf.profile kernels, mapped to nodes best-effort.
 */
export async function profileModel(path: string, p: ProfileParams, c: ActivationContext): Promise<ProfileResult> {
  const runs = p.runs ?? 5;
  const optimized = p.optimized ?? false;
  const { session, plan } = await prepareRun(path, p, c);
  const progress = (i: number) => c.onProgress?.((i + 1) / (runs + 1), i === 0 ? 'warming up' : `profiled run ${i}/${runs}`);
  let rows: ProfileRow[];
  let notes: string[];
  let runMs: number;
  if (runtimeOf(c.model) === 'tfjs') {
    const nodes = c.model.graph.nodes.map((n) => ({ id: n.id, opType: n.opType }));
    const r = await tfjsExtra().tfjsProfile(path, session, plan.feeds, runs, nodes, c.signal);
    const total = r.rows.reduce((s, x) => s + x.ms, 0);
    rows = r.rows.map((x) => ({ ...x, share: total > 0 ? x.ms / total : 0 })).sort((a, b) => b.ms - a.ms);
    runMs = r.runMs;
    notes = [c.model.format === 'tfjs-graph'
      ? 'TF.js kernels do not name their node: the k-th kernel of a type is matched to the k-th node of that op type (best-effort)'
      : 'TF.js kernels do not name their layer: rows are kernels (a Dense layer runs MatMul, BiasAdd and its activation), not mapped to layers'];
  } else {
    const r = await onnxProfile().profileOnnx(path, session.provider, plan.feeds, { runs, optimized, signal: c.signal, onRun: progress });
    ({ rows, notes } = mapKernels(c.model.graph, r.kernels, runs));
    runMs = mean(r.runUs) / 1000;
    if (!optimized) notes.unshift('graph optimisations were off so that every row is one node of the file; the optimised model runs faster');
  }
  if (!rows.length) throw new ModelError(path, `the profiler recorded no kernels on ${session.provider}`);
  return {
    provider: session.provider,
    runs,
    optimized,
    rows,
    totalMs: rows.reduce((s, r) => s + r.ms, 0),
    runMs,
    overlay: profileOverlay(rows),
    notes,
  };
}
