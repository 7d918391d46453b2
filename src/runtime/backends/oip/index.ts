import { ModelError } from '../../../model/errors';
import type { RuntimeBackend } from '../../backend';
import { secretFor, serverFor } from '../../settings';
import type * as Session from './session';

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, like the other backends */
const session = () => require('./session') as typeof Session;

/**
 * A model file bound to an Open Inference Protocol (KServe v2) server in the settings runs its forward passes there
 * (Triton, KServe, MLServer, Seldon, OpenVINO Model Server); graph, weights and gradients stay with the local file.
 */
export const oipBackend: RuntimeBackend = {
  id: 'oip',
  name: 'Open Inference Protocol server',
  devices: [],
  capabilities: ['tensors', 'tokens'],
  claims: (model) => serverFor(model.path) !== undefined,
  available: () => (typeof fetch === 'function' ? true : 'this Node.js has no fetch (Node 18 or later is needed to reach an inference server)'),
  async load(model, opts) {
    const binding = serverFor(model.path);
    if (!binding) throw new ModelError(model.path, 'no inference server is bound to this file');
    return session().loadOip(model, binding, secretFor(new URL(binding.url).origin), opts);
  },
};
