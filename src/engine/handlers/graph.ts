import { MAX_TENSOR_LIST, type GraphMethods, type GraphPayload } from '../../protocol/graph';
import type { WithModel } from '../../protocol/forwarded';
import { releaseActivationSessions } from '../../runtime/activations';
import { buildNodeDetails } from '../graph-details';
import { readSmallValues } from '../graph-folding';
import { buildGraphPayload, resolveGraph } from '../graph-payload';
import { runGraphShapes } from '../graph-shapes';
import { executing } from './executing';
import type { FeatureHandlers } from './types';

/**
 * Graph requests: the compact graph (cached per model revision and graph id), one node's details on demand, and the
 * shapes of one sample run for edges the file leaves unlabelled (cached: a graph is shown many times, run once).
 */
export const graphHandlers: FeatureHandlers<WithModel<GraphMethods>> = (services) => ({
  getGraph: ({ modelId, graph = '' }) =>
    services.store.resource<GraphPayload>(modelId, `graph:${graph}`, async (model) => buildGraphPayload(model, graph, await readSmallValues(resolveGraph(model, graph).graph))),
  getGraphShapes: ({ modelId }, ctx) =>
    executing(services.store, modelId, ctx, 'graph shapes', async (model, onProgress) => {
      // The extra-output sessions the run opens are the activations' own: released with the model, as Run's are.
      await services.store.resource(modelId, 'run:activation-sessions', () => model, (m) => releaseActivationSessions(m));
      return services.store.resource(modelId, 'graph:shapes', () => runGraphShapes(model, { model, signal: ctx.signal, onProgress }));
    }),
  getTensorList: ({ modelId }) => {
    const all = services.store.get(modelId).graph.initializers;
    const tensors = all.slice(0, MAX_TENSOR_LIST).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, elements: t.elementCount }));
    return { tensors, total: all.length };
  },
  getNodeDetails: ({ modelId, graph = '', nodeId }) => buildNodeDetails(services.store.get(modelId), graph, nodeId),
});
