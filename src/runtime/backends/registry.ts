import type { Model } from '../../model/graph';
import { ModelError } from '../../model/errors';
import { formatOf } from '../../formats/registry';
import type { Capability, RuntimeBackend } from '../backend';
import { llamaCppBackend } from './llama-cpp';
import { oipBackend } from './oip';
import { onnxruntimeBackend } from './onnxruntime';
import { tfjsBackend } from './tfjs';
import { tfjsNodeBackend } from './tfjs-node';

/** Every runtime backend, one line each. Formats name them by id (FormatDescriptor.runs.backends). */
export const BACKENDS: readonly RuntimeBackend[] = [onnxruntimeBackend, tfjsBackend, tfjsNodeBackend, llamaCppBackend, oipBackend];

export function backendById(id: string): RuntimeBackend | undefined {
  return BACKENDS.find((b) => b.id === id);
}

/**
 * The backend that runs this model: one the user bound the file to (an inference server), else the first of its
 * format's list available on this machine; or why none.
 */
export function chooseBackend(model: Pick<Model, 'format' | 'path'>): { backend: RuntimeBackend } | { backend: null; why: string } {
  const bound = BACKENDS.find((b) => b.claims?.(model));
  if (bound) {
    const ok = bound.available();
    return ok === true ? { backend: bound } : { backend: null, why: ok };
  }
  const runs = formatOf(model).runs;
  if (!runs.backends.length) return { backend: null, why: runs.why ?? 'no runtime runs this format' };
  const reasons: string[] = [];
  for (const id of runs.backends) {
    const b = backendById(id);
    if (!b) {
      reasons.push(`${id}: not a runtime backend of this build`);
      continue;
    }
    const ok = b.available();
    if (ok === true) return { backend: b };
    reasons.push(ok);
  }
  return { backend: null, why: reasons.join('; ') };
}

/** The model's backend, or a ModelError saying why it cannot run. */
export function backendFor(model: Model): RuntimeBackend {
  const c = chooseBackend(model);
  if (!c.backend) throw new ModelError(model.path, c.why);
  return c.backend;
}

/** The backend when it can do `capability`, else a ModelError naming what it cannot do (and what runs the model). */
export function backendWith(model: Model, capability: Capability, what: string): RuntimeBackend {
  const b = backendFor(model);
  if (!b.capabilities.includes(capability)) throw new ModelError(model.path, `${what} is not available: ${b.name} runs this model and cannot do it`);
  return b;
}
