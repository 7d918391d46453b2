import type { WithModel } from '../../protocol/forwarded';
import type { ModelStats, StatsMethods } from '../../protocol/stats';
import { computeModelStats, exactHistograms } from '../../stats';
import type { FeatureHandlers } from './types';

/**
 * Weight statistics: the summary pass runs once per model revision (cached in the store, dropped on close);
 * exact histograms are a short dedicated pass over the few tensors asked for, never cached.
 */
export const statsHandlers: FeatureHandlers<WithModel<StatsMethods>> = ({ store }) => ({
  getWeightStats: async ({ modelId }, ctx) => {
    const stats = await store.resource<ModelStats>(modelId, 'stats:weights', (model) =>
      computeModelStats(model, { signal: ctx.signal, onProgress: (fraction, message) => ctx.progress({ fraction, message }) }), undefined, ctx.signal);
    return stats;
  },
  getHistograms: ({ modelId, ...req }, ctx) => exactHistograms(store.get(modelId), req, ctx.signal),
});
