import { ModelError } from '../../../model/errors';
import { formatOf } from '../../../formats/registry';
import type { RuntimeBackend } from '../../backend';
import type * as Session from './session';
import type * as Intermediate from './intermediate';
import { TFJS_BACKENDS } from './devices';

/* eslint-disable @typescript-eslint/no-require-imports */
const session = () => require('./session') as typeof Session;
const intermediate = () => require('./intermediate') as typeof Intermediate;
/* eslint-enable @typescript-eslint/no-require-imports */

/** TF.js (tfjs-node when installed, else WebAssembly, else JS): builds the model from the artifacts its reader derived. */
export const tfjsBackend: RuntimeBackend = {
  id: 'tfjs',
  name: 'TensorFlow.js',
  devices: TFJS_BACKENDS,
  capabilities: ['tensors', 'tokens', 'activations', 'profiling', 'gradients'],
  available: () => true, // the WASM and JS backends are bundled
  async load(model, opts) {
    const artifacts = formatOf(model).runs.artifacts;
    if (!artifacts) throw new ModelError(model.path, 'gives TF.js nothing to build a model from');
    return session().loadTfjs(model.path, await artifacts(model), opts);
  },
  intermediates: (model, s, feeds, values) => intermediate().tfjsIntermediates(model.path, s, feeds, values),
  async profile(model, s, feeds, o) {
    const nodes = model.graph.nodes.map((n) => ({ id: n.id, opType: n.opType }));
    const r = await intermediate().tfjsProfile(model.path, s, feeds, o.runs, nodes, o.signal);
    const notes = [model.format === 'tfjs-graph'
      ? 'TF.js kernels do not name their node: the k-th kernel of a type is matched to the k-th node of that op type (best-effort)'
      : 'TF.js kernels do not name their layer: rows are kernels (a Dense layer runs MatMul, BiasAdd and its activation), not mapped to layers'];
    return { rows: r.rows, notes, runMs: r.runMs };
  },
};
