import type { WithModel } from '../../protocol/forwarded';
import type { PromptMethods } from '../../protocol/prompt';
import { runPrompt } from '../../runtime/lm/run-prompt';
import { explainPrompt } from '../../explain/token-attribution';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/** Language models: a prompt's tokens and next-token probabilities, and which tokens drove a prediction. */
export const promptHandlers: FeatureHandlers<WithModel<PromptMethods>> = (services) => ({
  runPrompt: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'prompt run', (model, onProgress) => runPrompt(model, { ...params, signal: ctx.signal, onProgress })),
  explainPrompt: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'prompt explanation', (model, onProgress) => explainPrompt(model, { ...params, signal: ctx.signal, onProgress })),
});
