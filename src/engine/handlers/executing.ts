import type { Model } from '../../model/graph';
import type { HandlerContext } from '../../protocol/rpc';
import { RpcError } from '../../protocol/wire';
import { releaseModel } from '../../runtime/run-model';
import type { ModelStore } from '../model-store';

const PROGRESS_EVERY_MS = 100;

export type Progress = (fraction: number, message?: string) => void;

/** Progress forwarded at most every 100 ms (and always at the end): a 1000-run loop must not flood the channel. */
export function throttledProgress(ctx: HandlerContext): Progress {
  let last = 0;
  return (fraction, message) => {
    const now = performance.now();
    if (fraction < 1 && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    ctx.progress({ fraction, message });
  };
}

/**
 * The frame of every method that executes a model: a marker resource releases the runtime's cached sessions when the
 * last user closes the model, progress is throttled, and an abort is reported as a cancellation, not as the error
 * the interrupted runtime happened to throw.
 */
export async function executing<T>(store: ModelStore, modelId: string, ctx: HandlerContext, what: string, fn: (model: Model, onProgress: Progress) => Promise<T>): Promise<T> {
  const model = store.get(modelId);
  await store.resource(modelId, 'run:sessions', () => model, (m) => releaseModel(m));
  try {
    return await fn(model, throttledProgress(ctx));
  } catch (e) {
    if (ctx.signal.aborted) throw new RpcError('cancelled', `${what} was cancelled`);
    throw e;
  }
}
