import type { WithModel } from '../../protocol/forwarded';
import type { RunMethods } from '../../protocol/run';
import { RpcError } from '../../protocol/wire';
import { releaseModel, runModel } from '../../runtime/run-model';
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
});
