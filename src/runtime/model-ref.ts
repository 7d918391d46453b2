import type { Model } from '../model/graph';
import { openModel } from '../formats/registry';
import { sessions } from './load';

/**
 * What the runtime entry points take: the opened Model (the engine's and the CLI's way: sessions are cached on it),
 * or a path, which is opened for this one call and closed with its sessions afterwards (tests, scripts).
 */
export type ModelRef = Model | string;

export async function withModel<T>(ref: ModelRef, fn: (model: Model) => Promise<T>): Promise<T> {
  if (typeof ref !== 'string') return fn(ref);
  const model = await openModel(ref);
  try {
    return await fn(model);
  } finally {
    await sessions.release(model);
    await model.dispose?.();
  }
}
