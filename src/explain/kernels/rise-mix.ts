import type { InputLayout } from '../layout';
import type { RiseMasks } from '../perturbation';
import { WASM_BASE64 } from './rise-mix-wasm';

// RISE's per-mask work (upsample the mask, mix x with the fill value) on WebAssembly SIMD: plain JS loops cost about
// 25 µs per 3×64×64 mask on this project's machines, as much as a fifth of the forward pass they feed, and they run on
// the same thread as onnxruntime-node (which computes on the JS thread). The kernel (rise-mix.wat) does both passes of
// the upsampling and the mixing; values agree with the JS path to float32 rounding.

let compiled: WebAssembly.Module | null | undefined;

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JS path serves
    }
  }
  return compiled;
}

export class RiseMixer {
  private readonly maskMix: (rows: number, t0: number, bs: number, H: number, W: number, xd: number, out: number, C: number, fill: number) => void;
  private readonly interpolateRows: (field: number, ix: number, tx: number, G: number, W: number, rowsUsed: number, rows: number) => void;
  private readonly field: Float32Array;
  private readonly out: Float32Array;
  private readonly ptr: { field: number; ix: number; tx: number; rows: number; t0: number; bs: number; xd: number; out: number };
  private readonly C: number;

  /** A mixer for these masks and this input, or undefined where the kernel does not apply (the JS path then runs). */
  static create(masks: RiseMasks, x: Float32Array, fill: number, lay: InputLayout): RiseMixer | undefined {
    const C = x.length / (masks.H * masks.W);
    // The kernel wants channel planes (NCHW, or a single channel) and rows of whole 4-float vectors.
    if (!lay.image || (lay.layout === 'nhwc' && C > 1) || masks.W % 4 !== 0) return undefined;
    const mod = module();
    return mod ? new RiseMixer(mod, masks, x, fill, C) : undefined;
  }

  private constructor(mod: WebAssembly.Module, private readonly masks: RiseMasks, x: Float32Array, private readonly fill: number, C: number) {
    this.C = C;
    const { G, H, W } = masks;
    const shiftsY = masks.shiftsY;
    const shiftsX = masks.shiftsX;
    const sizes = { field: G * G, ix: shiftsX * W, tx: shiftsX * W, rows: G * W, t0: shiftsY * H, bs: shiftsY * H, xd: x.length, out: x.length };
    const ptr = { field: 0, ix: 0, tx: 0, rows: 0, t0: 0, bs: 0, xd: 0, out: 0 };
    let at = 0;
    for (const k of ['field', 'ix', 'tx', 'rows', 't0', 'bs', 'xd', 'out'] as const) {
      ptr[k] = at;
      at += Math.ceil((sizes[k] * 4) / 16) * 16;
    }
    const inst = new WebAssembly.Instance(mod, {});
    const mem = inst.exports.memory as WebAssembly.Memory;
    const have = mem.buffer.byteLength;
    if (have < at) mem.grow(Math.ceil((at - have) / 65536));
    this.maskMix = inst.exports.maskMix as RiseMixer['maskMix'];
    this.interpolateRows = inst.exports.interpolateRows as RiseMixer['interpolateRows'];
    const buf = mem.buffer;
    this.ptr = ptr;
    this.field = new Float32Array(buf, ptr.field, sizes.field);
    this.out = new Float32Array(buf, ptr.out, sizes.out);
    const ix = new Int32Array(buf, ptr.ix, sizes.ix);
    const tx = new Float32Array(buf, ptr.tx, sizes.tx);
    for (let sx = 0; sx < shiftsX; sx++) {
      const { colOf, weight } = masks.columnTable(sx);
      ix.set(colOf, sx * W);
      tx.set(weight, sx * W);
    }
    const t0 = new Int32Array(buf, ptr.t0, sizes.t0);
    const bs = new Float32Array(buf, ptr.bs, sizes.bs);
    for (let sy = 0; sy < shiftsY; sy++) {
      const { rowOf, weight } = masks.rowTable(sy);
      for (let y = 0; y < H; y++) {
        t0[sy * H + y] = rowOf[y] * W * 4;
        bs[sy * H + y] = weight[y];
      }
    }
    const xd = new Float32Array(buf, ptr.xd, sizes.xd);
    for (let i = 0; i < x.length; i++) xd[i] = x[i] - fill;
  }

  /** The sample for mask (field, shift), mixed into `dst`. */
  write(field: Float32Array, shift: number, dst: Float32Array): void {
    const { masks, ptr } = this;
    this.field.set(field);
    const sy = masks.verticalShift(shift);
    const sxOff = (shift % masks.shiftsX) * masks.W * 4;
    this.interpolateRows(ptr.field, ptr.ix + sxOff, ptr.tx + sxOff, masks.G, masks.W, masks.rowsUsed(sy), ptr.rows);
    const off = sy * masks.H * 4;
    this.maskMix(ptr.rows, ptr.t0 + off, ptr.bs + off, masks.H, masks.W, ptr.xd, ptr.out, this.C, this.fill);
    dst.set(this.out);
  }
}
