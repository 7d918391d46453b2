import { basename } from 'node:path';
import type { CompareEngineMethods } from '../../protocol/compare';
import { compareJson, compareModels, compareOverlay } from '../../compare/compare-models';
import { openModelChecked } from '../open';
import { releaseModel } from '../../runtime/run-model';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/**
 * `compare`: the open model against another file, opened for this one comparison and closed after it (B is not an
 * open model of the panel). Only summaries go back: the CLI's JSON shape and A's graph overlay.
 */
export const compareHandlers: FeatureHandlers<CompareEngineMethods> = (services) => ({
  compare: ({ modelId, other, outputs }, ctx) =>
    executing(services.store, modelId, ctx, 'compare', async (model, onProgress) => {
      const b = await openModelChecked(other, ctx.signal);
      try {
        const r = await compareModels(model, b, { outputs, signal: ctx.signal, onProgress });
        // The view names B by its file name (the tab's headline, "only in …"); the JSON keeps both paths.
        return { other: basename(b.path), json: compareJson(r), overlay: compareOverlay(r, 'a', model.graph) };
      } finally {
        await releaseModel(b); // B's sessions go with it; A's stay cached on the open model
        await b.dispose?.();
      }
    }),
});
