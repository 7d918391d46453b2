import type { InputLayout } from '../layout';
import type { RiseMasks, RiseSampler } from '../rise';
import { WASM_BASE64 } from './rise-mix-wasm';
import { growMemory, instantiateKernel } from '../../wasm/instance';
import { lazyWasmModule } from '../../wasm/lazy-module';

// RISE's per-mask work (draw the mask, upsample it, mix x with the fill value) on WebAssembly SIMD: plain JS loops
// cost about 25 µs per 3×64×64 mask on this project's machines, as much as a fifth of the forward pass they feed,
// and they run on the same thread as onnxruntime-node (which computes on the JS thread). The kernel (rise-mix.wat)
// draws from the same generator stream as the JS path and writes the same values to float32 rounding. The batch
// buffer the runtime reads can live in the kernel's memory (`batchBuffer`), so samples are written where the model
// reads them, without a copy; mixers are pooled, so a call does not pay for a new instance and memory.

/** Null where there is no WebAssembly SIMD: the JS path serves. */
const module = lazyWasmModule(WASM_BASE64);

type Exports = {
  memory: WebAssembly.Memory;
  state: WebAssembly.Global;
  setup: (ring: number, ringShift: number, weighted: number, counted: number, used: number, sums: number, F: number, G: number, H: number, W: number, C: number, shiftsY: number, shiftsX: number, ix: number, tx: number, ru: number, rows: number, t0: number, bs: number, xd: number, mask: number, fill: number, interleaved: number) => void;
  sample: (p: number, out: number, slot: number) => number;
  accumulate: (slot: number, s: number) => void;
  clearSums: () => void;
  finish: (mean: number, acc: number) => void;
};

/** Released mixers kept for the next call with the same geometry; one, and only if its memory is modest. */
let spare: RiseMixer | undefined;
const SPARE_BYTES = 40 << 20;

const align = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * The kernel's memory, in order: field ring (one field per batch slot) and each slot's shift, per-shift score sums
 * (weighted, counted, used, and their difference `sums`), interpolation tables (ix, tx: columns per horizontal shift;
 * ru, t0, bs: rows per vertical shift), scratch rows, x − fill, a copy-out sample, the mask scratch; then the batch.
 */
const REGIONS = ['ring', 'ringShift', 'weighted', 'counted', 'used', 'sums', 'ix', 'tx', 'ru', 'rows', 't0', 'bs', 'xd', 'out', 'mask'] as const;

export class RiseMixer implements RiseSampler {
  private readonly k: Exports;
  private readonly ptr: Record<(typeof REGIONS)[number], number>;
  /** Where batch buffers start (everything before is tables and scratch). */
  private readonly batchStart: number;
  private out!: Float32Array;

  /**
   * A mixer for these masks and this input (a released one of the same geometry when there is one), or undefined
   * where the kernel does not apply (the JS path then runs). Give it back with `release()`.
   */
  static take(masks: RiseMasks, x: Float32Array, fill: number, lay: InputLayout, slots: number): RiseMixer | undefined {
    const C = x.length / (masks.H * masks.W);
    // The kernel takes images (channel planes, or channels interleaved per pixel) with rows of whole 4-float vectors.
    if (!lay.image || masks.W % 4 !== 0) return undefined;
    const mod = module();
    if (!mod) return undefined;
    const interleaved = lay.layout === 'nhwc' && C > 1;
    const key = `${masks.G}/${masks.H}/${masks.W}/${C}/${interleaved}/${slots}`;
    let mixer = spare?.key === key ? spare : undefined;
    if (mixer) spare = undefined;
    else {
      try {
        mixer = new RiseMixer(mod, masks, C, interleaved, slots, key);
      } catch {
        return undefined; // its memory could not be had (a huge input): the JS path serves
      }
    }
    mixer.reset(masks, x, fill);
    return mixer;
  }

  private constructor(mod: WebAssembly.Module, private masks: RiseMasks, private readonly C: number, private readonly interleaved: boolean, slots: number, private readonly key: string) {
    const { G, H, W, shiftsY, shiftsX, shifts, fieldSize: F } = masks;
    const len = C * H * W;
    // Sizes in 4-byte words.
    const sizes: Record<(typeof REGIONS)[number], number> = {
      ring: slots * F, ringShift: slots, weighted: shifts * F, counted: shifts * F, used: Math.ceil(shifts / 4), sums: shifts * F,
      ix: shiftsX * W, tx: shiftsX * W, ru: shiftsY, rows: G * W, t0: shiftsY * H, bs: shiftsY * H, xd: len, out: len, mask: H * W,
    };
    const ptr = {} as Record<(typeof REGIONS)[number], number>;
    let at = 0;
    for (const k of REGIONS) {
      ptr[k] = at;
      at += align(sizes[k] * 4);
    }
    this.ptr = ptr;
    this.batchStart = at;
    this.k = instantiateKernel<Exports>(mod, at);
    this.ensure(at);
    const buf = this.k.memory.buffer;
    const ix = new Int32Array(buf, ptr.ix, sizes.ix);
    const tx = new Float32Array(buf, ptr.tx, sizes.tx);
    for (let sx = 0; sx < shiftsX; sx++) {
      const { colOf, weight } = masks.columnTable(sx);
      ix.set(colOf, sx * W);
      tx.set(weight, sx * W);
    }
    const t0 = new Int32Array(buf, ptr.t0, sizes.t0);
    const bs = new Float32Array(buf, ptr.bs, sizes.bs);
    const ru = new Int32Array(buf, ptr.ru, sizes.ru);
    for (let sy = 0; sy < shiftsY; sy++) {
      ru[sy] = masks.rowsUsed(sy);
      const { rowOf, weight } = masks.rowTable(sy);
      for (let y = 0; y < H; y++) {
        t0[sy * H + y] = rowOf[y] * W * 4;
        bs[sy * H + y] = weight[y];
      }
    }
  }

  /** Grows the memory to `bytes` (growing detaches every view, so the cached ones are made again). */
  private ensure(bytes: number): void {
    const mem = this.k.memory;
    growMemory(mem, bytes);
    this.out = new Float32Array(mem.buffer, this.ptr.out, this.C * this.masks.H * this.masks.W);
  }

  private reset(masks: RiseMasks, x: Float32Array, fill: number): void {
    this.masks = masks;
    const xd = new Float32Array(this.k.memory.buffer, this.ptr.xd, x.length);
    for (let i = 0; i < x.length; i++) xd[i] = x[i] - fill;
    const { ptr } = this;
    const { G, H, W, shiftsY, shiftsX } = masks;
    this.k.setup(ptr.ring, ptr.ringShift, ptr.weighted, ptr.counted, ptr.used, ptr.sums, masks.fieldSize, G, H, W, this.C, shiftsY, shiftsX, ptr.ix, ptr.tx, ptr.ru, ptr.rows, ptr.t0, ptr.bs, ptr.xd, ptr.mask, fill, this.interleaved ? 1 : 0);
    this.k.clearSums();
  }

  /**
   * A buffer of `length` floats inside the kernel's memory, for the runtime to read batches from: a sample written
   * into it goes there directly instead of through a copy. Valid until `release()`.
   */
  batchBuffer(length: number): Float32Array {
    this.ensure(this.batchStart + length * 4);
    return new Float32Array(this.k.memory.buffer, this.batchStart, length);
  }

  /**
   * Draws the next mask from the masks' generator (the same draws as `RiseMasks.draw`, which the generator then
   * continues from), keeps its field in ring slot `slot` and mixes its sample into `dst`. Returns its shift.
   */
  sample(dst: Float32Array, slot: number): number {
    const { k, masks } = this;
    const direct = dst.buffer === k.memory.buffer && dst.byteOffset >= this.batchStart && dst.length === this.out.length;
    k.state.value = masks.random.state;
    const shift = k.sample(masks.p, direct ? dst.byteOffset : this.ptr.out, slot);
    masks.random.state = k.state.value >>> 0;
    if (!direct) dst.set(this.out);
    return shift;
  }

  /** The score of the mask in ring slot `slot` (minus a reference the caller takes out again in `finish`). */
  accumulate(slot: number, score: number): void {
    this.k.accumulate(slot, score);
  }

  /**
   * After the last mask: Σ over masks of (score − mean)·mask, upsampled to H·W in the kernel (float32; scores are
   * given relative to a reference near the mean, so no large common part cancels), as a view into the kernel's
   * memory, valid until this mixer is used again.
   */
  finish(mean: number): Float32Array {
    const { k, ptr, masks } = this;
    k.finish(mean, ptr.mask); // the mask scratch holds the sum
    return new Float32Array(k.memory.buffer, ptr.mask, masks.H * masks.W);
  }

  /** Back to the pool (the buffer from `batchBuffer` must no longer be used). */
  release(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the pool keeps this very instance
    if (this.k.memory.buffer.byteLength <= SPARE_BYTES) spare = this;
  }
}
