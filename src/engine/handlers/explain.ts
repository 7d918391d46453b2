import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WithModel } from '../../protocol/forwarded';
import type { ExplainMethods } from '../../protocol/explain';
import { RpcError } from '../../protocol/wire';
import { explainModel } from '../../explain/explain';
import { releaseModel } from '../../runtime/run-model';
import type { FeatureHandlers } from './types';

const PROGRESS_EVERY_MS = 100;

/** `explain`: saliency maps and their quality numbers; shares the runtime's session cache with `run`. */
export const explainHandlers: FeatureHandlers<WithModel<ExplainMethods>> = (services) => ({
  explain: async ({ modelId, ...params }, ctx) => {
    const model = services.store.get(modelId);
    await services.store.resource(modelId, 'run:sessions', () => model.path, (path) => releaseModel(path));
    let last = 0;
    try {
      // `full` stays in the engine: only the small H×W maps cross the channel.
      const result = await explainModel(model.path, {
        ...params,
        model,
        signal: ctx.signal,
        onProgress: (fraction, message) => {
          const now = performance.now();
          if (fraction < 1 && now - last < PROGRESS_EVERY_MS) return;
          last = now;
          ctx.progress({ fraction, message });
        },
      });
      const { target, score, top, inputName, inputShape, image, maps } = result;
      return { target, score, top, inputName, inputShape, image, maps };
    } catch (e) {
      if (ctx.signal.aborted) throw new RpcError('cancelled', 'explain was cancelled');
      throw e;
    }
  },
  explainInputs: async ({ modelId }) => {
    const dir = dirname(services.store.get(modelId).path);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /\.npy$/i.test(n)).sort().slice(0, 20);
    return { files: names.map((n) => join(dir, n)) };
  },
});
