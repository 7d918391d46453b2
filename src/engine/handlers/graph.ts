import type { GraphMethods, GraphPayload } from '../../protocol/graph';
import type { WithModel } from '../../protocol/forwarded';
import { buildNodeDetails } from '../graph-details';
import { buildGraphPayload } from '../graph-payload';
import type { FeatureHandlers } from './types';

/** Graph requests: the compact graph (cached per model revision and graph id) and one node's details on demand. */
export const graphHandlers: FeatureHandlers<WithModel<GraphMethods>> = (services) => ({
  getGraph: ({ modelId, graph = '' }) =>
    services.store.resource<GraphPayload>(modelId, `graph:${graph}`, (model) => buildGraphPayload(model, graph)),
  getNodeDetails: ({ modelId, graph = '', nodeId }) => buildNodeDetails(services.store.get(modelId), graph, nodeId),
});
