import { CHUNK_ELEMENTS } from '../stats/scan';
import { FINE_BINS } from '../stats/accumulator';
import { WASM_BASE64 } from './kernels/weight-diff-wasm';
import { instantiateKernel } from '../wasm/instance';
import { lazyWasmModule } from '../wasm/lazy-module';

/**
 * The float32 pair loop of the weights comparison on WebAssembly SIMD (kernels/weight-diff.wat): measured 2.7 ns an
 * element pair including the copies into the kernel's memory, against 4.25 for the JS loop. Its fine histogram lives
 * in the kernel's memory (`fine`, a view that stays valid: the memory is sized once and never grows). Differences are
 * float32 here (a − b rounded once), where the JS loop keeps them exact in float64: sums and max agree to float32
 * rounding (2^-24 relative).
 */

/** Null where there is no WebAssembly SIMD: the JS path serves. */
const module = lazyWasmModule(WASM_BASE64);

type Exports = {
  memory: WebAssembly.Memory;
  run: (a: number, b: number, n: number, hist: number, out: number) => void;
};

// Memory: two input slots of an A and a B chunk each (files are read straight into one slot while the other is
// summed), the fine histogram, results.
const CHUNK_BYTES = CHUNK_ELEMENTS * 4;
const SLOTS = [0, 2 * CHUNK_BYTES];
const HIST = 4 * CHUNK_BYTES;
const OUT = HIST + FINE_BINS * 4;
const BYTES = OUT + 64;

export class SimdDiff {
  readonly fine: Int32Array;
  private readonly a: Float32Array;
  private readonly b: Float32Array;
  private readonly out: Float64Array;
  /** Per slot, the A and B input buffers as bytes (for reads straight into the kernel's memory). */
  readonly slots: [Uint8Array, Uint8Array][];
  private readonly maxOut: Float32Array;

  private constructor(private readonly k: Exports) {
    const buf = k.memory.buffer;
    this.a = new Float32Array(buf, SLOTS[0], CHUNK_ELEMENTS);
    this.b = new Float32Array(buf, SLOTS[0] + CHUNK_BYTES, CHUNK_ELEMENTS);
    this.slots = SLOTS.map((at) => [new Uint8Array(buf, at, CHUNK_BYTES), new Uint8Array(buf, at + CHUNK_BYTES, CHUNK_BYTES)]);
    this.fine = new Int32Array(buf, HIST, FINE_BINS);
    this.out = new Float64Array(buf, OUT, 3);
    this.maxOut = new Float32Array(buf, OUT + 24, 1);
  }

  /** A kernel instance, or undefined where WebAssembly SIMD is not available. */
  static create(): SimdDiff | undefined {
    const m = module();
    if (!m) return undefined;
    const k = instantiateKernel<Exports>(m, BYTES);
    return new SimdDiff(k);
  }

  /**
   * Sums of the first n4 = n rounded down to 4 pairs: [aa, bb, dd] and max |d|; their differences counted in `fine`.
   * The caller does the last n − n4 pairs.
   */
  run(a: Float32Array, b: Float32Array, n: number): { n4: number; aa: number; bb: number; dd: number; max: number } {
    const n4 = n & ~3;
    // Chunks read into a slot are summed where they are; others are copied into slot 0 first.
    const mem = this.k.memory.buffer;
    const pa = a.buffer === mem ? a.byteOffset : (this.a.set(a.subarray(0, n4)), this.a.byteOffset);
    const pb = b.buffer === mem ? b.byteOffset : (this.b.set(b.subarray(0, n4)), this.b.byteOffset);
    this.k.run(pa, pb, n4, HIST, OUT);
    return { n4, aa: this.out[0], bb: this.out[1], dd: this.out[2], max: this.maxOut[0] };
  }
}
