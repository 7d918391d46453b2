import type { RuntimeBackend } from '../../backend';
import type * as Session from './session';
import { LLAMA_DEVICES } from './devices';
import { llamaInstalled } from './install';

/**
 * llama.cpp through node-llama-cpp, for GGUF language models: prebuilt binaries from npm only (CPU always; CUDA,
 * Vulkan or Metal where their packages are installed and the machine has the driver), never built or downloaded here.
 */
export const llamaCppBackend: RuntimeBackend = {
  id: 'llama-cpp',
  name: 'llama.cpp',
  devices: LLAMA_DEVICES,
  capabilities: ['tokens', 'generate'],
  available: () => llamaInstalled(),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  load: (model, opts) => (require('./session') as typeof Session).loadLlama(model, opts),
};
