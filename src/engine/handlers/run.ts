import type { WithModel } from '../../protocol/forwarded';
import type { RunMethods } from '../../protocol/run';
import { runModel } from '../../runtime/run-model';
import { computeActivationOverlay, computeActivations, releaseActivationSessions, type ActivationContext } from '../../runtime/activations';
import { profileModel } from '../../runtime/profiling';
import type { HandlerContext } from '../../protocol/rpc';
import type { ModelStore } from '../model-store';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/**
 * `run`: sample inference on the model's file through the runtime layer. Sessions live in the runtime's LRU; a marker
 * resource on the model revision releases them when the last user closes the model.
 */
export const runHandlers: FeatureHandlers<WithModel<RunMethods>> = (services) => ({
  run: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'run', async (model, onProgress) => (await runModel(model, { ...params, signal: ctx.signal, onProgress })).summary),
  activations: ({ modelId, ...params }, ctx) => withActivations(services.store, modelId, ctx, 'activations', (path, c) => computeActivations(path, params, c)),
  activationOverlay: ({ modelId, ...params }, ctx) => withActivations(services.store, modelId, ctx, 'activation overlay', (path, c) => computeActivationOverlay(path, params, c)),
  profile: ({ modelId, ...params }, ctx) => withActivations(services.store, modelId, ctx, 'profile', (path, c) => profileModel(path, params, c)),
});

/** Activations and profiling also keep sessions of their own (extra outputs), released with the model too. */
async function withActivations<T>(store: ModelStore, modelId: string, ctx: HandlerContext, what: string, fn: (path: string, c: ActivationContext) => Promise<T>): Promise<T> {
  return executing(store, modelId, ctx, what, async (model, onProgress) => {
    await store.resource(modelId, 'run:activation-sessions', () => model, (m) => releaseActivationSessions(m));
    return fn(model.path, { model, signal: ctx.signal, onProgress });
  });
}
