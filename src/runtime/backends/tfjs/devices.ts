/** TF.js backends, in the default preference: native TensorFlow (optional package), WebAssembly, plain JavaScript. */
export const TFJS_BACKENDS = ['tfjs-node', 'tfjs-wasm', 'tfjs-cpu'] as const;
