import type { ProfileParams, ProfileResult, ProfileRow } from '../protocol/run';
import { ModelError } from '../model/errors';
import { prepareRun, type ActivationContext } from './activations';
import { profileOverlay } from './profile-map';
import { backendWith } from './backends/registry';

/**
 * Per-node kernel times averaged over `runs` (after one warm-up), sorted, with shares of the total and a graph overlay.
 * ONNX: onnxruntime's profiler on a dedicated session; TF.js: tf.profile kernels, mapped to nodes best-effort.
 */
export async function profileModel(path: string, p: ProfileParams, c: ActivationContext): Promise<ProfileResult> {
  const runs = p.runs ?? 5;
  const optimized = p.optimized ?? false;
  const { session, plan } = await prepareRun(path, p, c);
  const progress = (i: number) => c.onProgress?.((i + 1) / (runs + 1), i === 0 ? 'warming up' : `profiled run ${i}/${runs}`);
  const backend = backendWith(c.model, 'profiling', 'Profiling');
  const r = await backend.profile!(c.model, session, plan.feeds, { runs, optimized, signal: c.signal, onRun: progress });
  const total = r.rows.reduce((s, x) => s + x.ms, 0);
  const rows: ProfileRow[] = r.shared ? (r.rows as ProfileRow[]) : r.rows.map((x) => ({ ...x, share: total > 0 ? x.ms / total : 0 })).sort((a, b) => b.ms - a.ms);
  const { notes, runMs } = r;
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
