/**
 * A WebAssembly kernel compiled on first use from its base64 bytes (scripts/build-wasm.mjs writes them), or null
 * where this runtime has no WebAssembly SIMD: callers then take their plain-JS path.
 */
export function lazyWasmModule(base64: string): () => WebAssembly.Module | null {
  let compiled: WebAssembly.Module | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        compiled = new WebAssembly.Module(Buffer.from(base64, 'base64'));
      } catch {
        compiled = null;
      }
    }
    return compiled;
  };
}
