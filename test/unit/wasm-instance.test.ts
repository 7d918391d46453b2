// The one instantiate-and-grow helper every WebAssembly kernel uses: memory grows to whole pages covering the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growMemory, instantiateKernel } from '../../src/wasm/instance';

// (module (memory (export "memory") 1)): the smallest module with a memory, as the kernels have.
const ONE_PAGE = new WebAssembly.Module(Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x05, 0x03, 0x01, 0x00, 0x01,
  0x07, 0x0a, 0x01, 0x06, ...Buffer.from('memory'), 0x02, 0x00,
]));

test('instantiateKernel grows the memory to the pages that cover the request; growMemory never shrinks or overgrows', () => {
  const k = instantiateKernel<{ memory: WebAssembly.Memory }>(ONE_PAGE, 3 * 65536 + 1);
  assert.equal(k.memory.buffer.byteLength, 4 * 65536);
  growMemory(k.memory, 65536);
  assert.equal(k.memory.buffer.byteLength, 4 * 65536);
  growMemory(k.memory, 5 * 65536);
  assert.equal(k.memory.buffer.byteLength, 5 * 65536);
  assert.equal(instantiateKernel<{ memory: WebAssembly.Memory }>(ONE_PAGE, 10).memory.buffer.byteLength, 65536);
});
