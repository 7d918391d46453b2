/**
 * Every device name a runtime backend can choose, per backend id: the one list the backends, the validators of
 * requests (a forged provider name is refused before it reaches the engine) and package.json's setting enums
 * (`npm run sync-formats`) read. A new backend adds its line here with its folder in src/runtime/backends/.
 */
export const BACKEND_DEVICES = {
  onnxruntime: ['webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'cpu'],
  tfjs: ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu'],
  'tfjs-node': ['tfjs-node'],
  'llama-cpp': ['cuda', 'vulkan', 'metal', 'cpu'],
} as const;

export const ALL_DEVICES: readonly string[] = [...new Set(Object.values(BACKEND_DEVICES).flat())];
