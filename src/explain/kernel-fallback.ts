import * as tf from '@tensorflow/tfjs';

// TF.js's WebAssembly backend has no Conv2DBackpropFilter and no depthwise backprop kernels, and tfjs-core's fused
// convolutions (which tfjs-layers uses for a Conv2D without activation, as in MobileNet) compute the filter's gradient
// even when only the input's is asked for. Such a gradient fails on 'wasm' with "Kernel 'X' not registered for backend
// 'wasm'"; the pure-JS CPU backend has every kernel, so the same computation is run again there (tfjs moves the
// weights across on first use) and the previous backend is restored.
const MISSING_KERNEL = /Kernel '[^']+' not registered for backend '([^']+)'/;

/** Runs `fn`; when it fails for a kernel the active backend lacks, runs it once more on the CPU backend. */
export async function withKernelFallback<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const active = tf.getBackend();
    const m = MISSING_KERNEL.exec(e instanceof Error ? e.message : String(e));
    if (!m || m[1] !== active || active === 'cpu') throw e;
    await tf.setBackend('cpu');
    try {
      return await fn();
    } finally {
      await tf.setBackend(active);
    }
  }
}
