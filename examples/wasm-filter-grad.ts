// For the training script (examples/train-example.ts): the product's own WASM filter-gradient kernel.
export { registerWasmConv2dFilterGrad } from '../src/runtime/backends/tfjs/wasm-conv-grads';
