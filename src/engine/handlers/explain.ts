import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WithModel } from '../../protocol/forwarded';
import type { ExplainMethods } from '../../protocol/explain';
import { explainModel, wireResult } from '../../explain/explain';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/** `explain`: saliency maps and their quality numbers; shares the runtime's session cache with `run`. */
export const explainHandlers: FeatureHandlers<WithModel<ExplainMethods>> = (services) => ({
  explain: ({ modelId, ...params }, ctx) =>
    executing(services.store, modelId, ctx, 'explain', async (model, onProgress) => {
      // `full` stays in the engine: only the small H×W maps cross the channel.
      return wireResult(await explainModel(model, { ...params, signal: ctx.signal, onProgress }));
    }),
  explainInputs: async ({ modelId }) => {
    const dir = dirname(services.store.get(modelId).path);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.npy$/i.test(n)).sort().slice(0, 20);
    return { files: names.map((n) => join(dir, n)) };
  },
});
