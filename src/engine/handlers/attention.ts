import type { WithModel } from '../../protocol/forwarded';
import type { AttentionMethods } from '../../protocol/attention';
import { attentionHead, attentionMaps } from '../../runtime/lm/attention';
import { logitLens } from '../../runtime/lm/lens';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/** Inside a transformer: attention summaries and thumbnails, one head's map, the logit lens. */
export const attentionHandlers: FeatureHandlers<WithModel<AttentionMethods>> = (services) => ({
  attentionMaps: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'attention maps', (model, onProgress) => attentionMaps(model, { ...params, signal: ctx.signal, onProgress })),
  attentionHead: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'attention map', (model, onProgress) => attentionHead(model, { ...params, signal: ctx.signal, onProgress })),
  logitLens: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'logit lens', (model, onProgress) => logitLens(model, { ...params, signal: ctx.signal, onProgress })),
});
