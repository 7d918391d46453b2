import type { RuntimeBackend } from '../../backend';
import type * as Session from './session';
import type * as Extra from './extra-outputs';
import type * as Profile from './profile';
import { mapKernels } from '../../profile-map';
import { ORT_PROVIDERS } from './devices';

// The native library loads on first use (require inside the methods): a process that never runs ONNX never pays it.
/* eslint-disable @typescript-eslint/no-require-imports */
const session = () => require('./session') as typeof Session;
let extraLoaded = false;
const extra = () => {
  extraLoaded = true;
  return require('./extra-outputs') as typeof Extra;
};
const profile = () => require('./profile') as typeof Profile;
/* eslint-enable @typescript-eslint/no-require-imports */

/** onnxruntime-node: execution providers tried in order, the first that initialises runs the model file. */
export const onnxruntimeBackend: RuntimeBackend = {
  id: 'onnxruntime',
  name: 'ONNX Runtime',
  devices: ORT_PROVIDERS,
  capabilities: ['tensors', 'tokens', 'activations', 'profiling', 'gradients'],
  available: () => true, // a dependency of the extension, CPU provider always inside
  load: (model, opts) => session().loadOnnx(model.path, opts),
  async intermediates(model, s, feeds, values, signal) {
    const x = extra();
    const withOutputs = await x.sessionWithOutputs(model.path, s.provider, values);
    if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
    return x.runForOutputs(withOutputs, feeds, values);
  },
  async releaseIntermediates(model) {
    if (extraLoaded) await extra().releaseOutputSessions(model.path);
  },
  async profile(model, s, feeds, o) {
    const r = await profile().profileOnnx(model.path, s.provider, feeds, o);
    const { rows, notes } = mapKernels(model.graph, r.kernels, o.runs);
    const runMs = r.runUs.length ? r.runUs.reduce((a, b) => a + b, 0) / r.runUs.length / 1000 : 0;
    if (!o.optimized) notes.unshift('graph optimisations were off so that every row is one node of the file; the optimised model runs faster');
    return { rows, notes, runMs, shared: true };
  },
};
