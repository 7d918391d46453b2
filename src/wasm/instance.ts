/** What every kernel exports: its one linear memory. */
export interface KernelExports {
  memory: WebAssembly.Memory;
}

/** Grows `memory` to at least `bytes` (whole 64 KiB pages). Growing detaches every view on the old buffer. */
export function growMemory(memory: WebAssembly.Memory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

/** A fresh instance of a kernel (no imports) with its memory grown to `bytes`; throws a RangeError when it cannot grow. */
export function instantiateKernel<E extends KernelExports>(module: WebAssembly.Module, bytes: number): E {
  const k = new WebAssembly.Instance(module, {}).exports as unknown as E;
  growMemory(k.memory, bytes);
  return k;
}
