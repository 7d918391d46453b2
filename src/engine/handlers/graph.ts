import { MAX_TENSOR_LIST, type GraphMethods, type GraphPayload } from '../../protocol/graph';
import type { WithModel } from '../../protocol/forwarded';
import { buildNodeDetails } from '../graph-details';
import { buildGraphPayload } from '../graph-payload';
import type { FeatureHandlers } from './types';

/** Graph requests: the compact graph (cached per model revision and graph id) and one node's details on demand. */
export const graphHandlers: FeatureHandlers<WithModel<GraphMethods>> = (services) => ({
  getGraph: ({ modelId, graph = '' }) =>
    services.store.resource<GraphPayload>(modelId, `graph:${graph}`, (model) => buildGraphPayload(model, graph)),
  getTensorList: ({ modelId }) => {
    const all = services.store.get(modelId).graph.initializers;
    const tensors = all.slice(0, MAX_TENSOR_LIST).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, elements: t.elementCount }));
    return { tensors, total: all.length };
  },
  getNodeDetails: ({ modelId, graph = '', nodeId }) => buildNodeDetails(services.store.get(modelId), graph, nodeId),
});
