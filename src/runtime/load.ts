import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import { formatOf } from '../formats/registry';
import type { LoadOptions, RuntimeSession } from './session';
import type * as OnnxSession from './onnx/session';
import type * as TfjsSession from './tfjs/session';
import type * as SavedModel from './tfjs/saved-model';
import { SessionCache } from './session-cache';
import type { ModelSummary } from '../protocol/summary';
import { NEEDS_TFJS_NODE, tfjsNodeInstalled } from './tfjs/needs-tfjs-node';

/**
 * The summary's `runs` as this machine can honour it: a SavedModel whose runtime (the optional tfjs-node) is not
 * installed says so in the Overview, and the Run and Explain tabs offer nothing, instead of failing on Run.
 */
export function runnableSummary(summary: ModelSummary): ModelSummary {
  if (summary.runs.runtime === 'tfjs-node' && !tfjsNodeInstalled()) return { ...summary, runs: { runtime: null, why: NEEDS_TFJS_NODE } };
  return summary;
}

/** Which runtime executes a model: its format descriptor says (never the file name). */
export function runtimeOf(model: Pick<Model, 'format'>): 'onnxruntime' | 'tfjs' | 'tfjs-node' | null {
  return formatOf(model).runs.runtime;
}

// Runtimes are required lazily: loading tfjs costs ~1 s and onnxruntime a native library, so a process pays only for
// the one it uses. (CommonJS require: the engine and CLI are CJS bundles, and esbuild still bundles these files.)
/* eslint-disable @typescript-eslint/no-require-imports */
export async function loadSession(model: Model, opts: LoadOptions = {}): Promise<RuntimeSession> {
  const runs = formatOf(model).runs;
  if (runs.runtime === 'onnxruntime') return (require('./onnx/session') as typeof OnnxSession).loadOnnx(model.path, opts);
  if (runs.runtime === 'tfjs') return (require('./tfjs/session') as typeof TfjsSession).loadTfjs(model.path, await runs.artifacts(model), opts);
  if (runs.runtime === 'tfjs-node') return (require('./tfjs/saved-model') as typeof SavedModel).loadSavedModel(model.path);
  throw new ModelError(model.path, runs.why);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The process-wide cache the engine and CLI share: sessions belong to the opened Model they were made from. */
export const sessions = new SessionCache(loadSession);
