import type { RuntimeBackend } from '../../backend';
import { BACKEND_DEVICES } from '../../../protocol/devices';
import type * as SavedModel from './saved-model';
import { NEEDS_TFJS_NODE, tfjsNodeInstalled } from './needs-tfjs-node';

/** A TF SavedModel folder run by native TensorFlow through the optional @tensorflow/tfjs-node package. */
export const tfjsNodeBackend: RuntimeBackend = {
  id: 'tfjs-node',
  name: 'TensorFlow (tfjs-node)',
  devices: BACKEND_DEVICES['tfjs-node'],
  capabilities: ['tensors'],
  available: () => (tfjsNodeInstalled() ? true : NEEDS_TFJS_NODE),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  load: (model) => (require('./saved-model') as typeof SavedModel).loadSavedModel(model.path),
};
