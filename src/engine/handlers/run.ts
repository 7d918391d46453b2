import type { WithModel } from '../../protocol/forwarded';
import type { RunMethods } from '../../protocol/run';
import { RpcError } from '../../protocol/wire';
import { releaseModel, runModel } from '../../runtime/run-model';
import { computeActivationOverlay, computeActivations, releaseActivationSessions, type ActivationContext } from '../../runtime/activations';
import { profileModel } from '../../runtime/profiling';
import type { HandlerContext } from '../../protocol/rpc';
import type { ModelStore } from '../model-store';
import type { FeatureHandlers } from './types';

const PROGRESS_EVERY_MS = 100;

/**
 * `run`: sample inference on the model's file through the runtime layer. Sessions live in the runtime's LRU; a marker
 * resource on the model revision releases them when the last user closes the model.
 */
export const runHandlers: FeatureHandlers<WithModel<RunMethods>> = (services) => ({
  run: async ({ modelId, ...params }, ctx) => {
    const model = services.store.get(modelId);
    await services.store.resource(modelId, 'run:sessions', () => model.path, (path) => releaseModel(path));
    let last = 0;
    try {
      const { summary } = await runModel(model.path, {
        ...params,
        model,
        signal: ctx.signal,
        onProgress: (fraction, message) => {
          const now = performance.now();
          if (fraction < 1 && now - last < PROGRESS_EVERY_MS) return; // a 1000-run loop must not flood the channel
          last = now;
          ctx.progress({ fraction, message });
        },
      });
      return summary;
    } catch (e) {
      if (ctx.signal.aborted) throw new RpcError('cancelled', 'run was cancelled');
      throw e;
    }
  },
  activations: ({ modelId, ...params }, ctx) => executing(services.store, modelId, ctx, 'activations', (path, c) => computeActivations(path, params, c)),
  activationOverlay: ({ modelId, ...params }, ctx) => executing(services.store, modelId, ctx, 'activation overlay', (path, c) => computeActivationOverlay(path, params, c)),
  profile: ({ modelId, ...params }, ctx) => executing(services.store, modelId, ctx, 'profile', (path, c) => profileModel(path, params, c)),
});

/**
 * Shared frame of the methods that execute the model besides `run`: the session markers that release cached sessions
 * on close, throttled progress, and cancellation reported as such.
 */
async function executing<T>(store: ModelStore, modelId: string, ctx: HandlerContext, what: string, fn: (path: string, c: ActivationContext) => Promise<T>): Promise<T> {
  const model = store.get(modelId);
  await store.resource(modelId, 'run:sessions', () => model.path, (path) => releaseModel(path));
  await store.resource(modelId, 'run:activation-sessions', () => model.path, (path) => releaseActivationSessions(path));
  let last = 0;
  try {
    return await fn(model.path, {
      model,
      signal: ctx.signal,
      onProgress: (fraction, message) => {
        const now = performance.now();
        if (fraction < 1 && now - last < PROGRESS_EVERY_MS) return;
        last = now;
        ctx.progress({ fraction, message });
      },
    });
  } catch (e) {
    if (ctx.signal.aborted) throw new RpcError('cancelled', `${what} was cancelled`);
    throw e;
  }
}
