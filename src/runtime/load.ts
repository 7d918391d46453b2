import type { Model } from '../model/graph';
import type { LoadOptions, RuntimeSession } from './session';
import { SessionCache } from './session-cache';
import { backendFor } from './backends/registry';

/** Loads a model on the backend its format names first among those available here. */
export function loadSession(model: Model, opts: LoadOptions = {}): Promise<RuntimeSession> {
  return backendFor(model).load(model, opts);
}

/** The process-wide cache the engine and CLI share: sessions belong to the opened Model they were made from. */
export const sessions = new SessionCache(loadSession);
