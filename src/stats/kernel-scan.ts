import type { ByteSource, GgmlBlockType, Tensor } from '../model/tensor';
import { dequantizeGgml, GGML_BLOCKS } from '../formats/gguf/dequantize';
import { FINE_BINS, firstExtremes, type Accumulator, type ChannelPlan, type SegmentKernel } from './accumulator';
import { halfFloatTable } from './decode';
import { CodeRows, CODES_BYTES, type CodeTotals } from './ggml-codes';
import { CHUNK_ELEMENTS, maybeYield, type ScanOptions } from './scan';
import { storedDType } from './weight-context';
import { WASM_BASE64 } from './kernels/stats-scan-wasm';
import { instantiateKernel } from '../wasm/instance';
import { lazyWasmModule } from '../wasm/lazy-module';

/**
 * The weight statistics' fast path for the big-file formats' element types (float32, float16, bfloat16, GGML
 * blocks): chunks are read straight into the WebAssembly kernel's memory (kernels/stats-scan.wat), two buffers in
 * turn so that the next chunk's read runs (in libuv's thread pool) while this one is counted, and the loops are
 * SIMD. 16-bit floats are counted by bit pattern, and their statistics follow from the 65536 counts. Results equal
 * the JS path's (scan.ts + Accumulator.add) except the sums' rounding (another order of additions); the unit test
 * stats-kernel.test.ts holds them together. Tensors it does not cover return false and take the JS path.
 */

/** Null where there is no WebAssembly SIMD: the JS path serves. */
const module = lazyWasmModule(WASM_BASE64);

type Exports = {
  memory: WebAssembly.Memory;
  count16: (p: number, n: number, cnt: number) => void;
  count16_f16sq: (p: number, n: number, cnt: number) => number;
  count16_bf16sq: (p: number, n: number, cnt: number) => number;
  fold16: (t: number) => void;
  f32: (p: number, n: number, K: number, hist: number, out: number) => void;
  cols_sq: (p: number, n: number, cols: number) => void;
  q8_0: (p: number, blocks: number, y: number) => void;
  q4_0: (p: number, blocks: number, y: number) => void;
  q8_0_stats: (p: number, blocks: number, K: number, hist: number, out: number) => number;
  q4_0_stats: (p: number, blocks: number, K: number, hist: number, out: number) => number;
  q8_0_codes: (p: number, blocks: number, K: number, remap: number, tab: number, state: number, out: number) => number;
  q4_0_codes: (p: number, blocks: number, K: number, remap: number, tab: number, state: number, out: number) => number;
};

// Memory layout (bytes): pattern counts, fine histogram (each two tables: the kernels count alternately into both,
// so that neighbouring increments do not wait on each other's stores, and fold16 adds the second into the first),
// results, two input buffers, dequantized values.
const TABLE = 65536 * 4;
const CNT = 0;
const HIST = CNT + 2 * TABLE;
const OUT = HIST + 2 * FINE_BINS * 4;
const IN_BYTES = CHUNK_ELEMENTS * 4;
/** 16-bit elements per chunk: an input buffer's worth (twice CHUNK_ELEMENTS), so half the reads. */
const HALF_CHUNK = IN_BYTES / 2;
const IN0 = OUT + 64;
const IN1 = IN0 + IN_BYTES;
const DEC = IN1 + IN_BYTES;
/** Per-column sums of squares (channels last) live here, for up to MAX_COLS columns. */
const MAX_COLS = 1 << 17;
const COLS = DEC + CHUNK_ELEMENTS * 4;
const CODES = COLS + MAX_COLS * 8;
const BYTES = CODES + CODES_BYTES;

/** Below this many elements a 16-bit tensor is cheaper element by element than through the 65536 counts. */
const MIN_COUNTED = 1 << 16;

export class ScanKernel implements SegmentKernel {
  readonly hist: Int32Array;
  private readonly cnt: Int32Array;
  private readonly cnt2: Int32Array;
  private readonly out: Float64Array;
  private readonly inputs: [Uint8Array, Uint8Array];
  private readonly decoded: Float32Array;
  private readonly decodedBits: Uint32Array;
  private readonly codes: CodeRows;

  private constructor(private readonly k: Exports) {
    const buf = k.memory.buffer;
    this.cnt = new Int32Array(buf, CNT, 65536);
    this.cnt2 = new Int32Array(buf, CNT + TABLE, 65536);
    this.hist = new Int32Array(buf, HIST, FINE_BINS);
    this.out = new Float64Array(buf, OUT, 5);
    this.inputs = [new Uint8Array(buf, IN0, IN_BYTES), new Uint8Array(buf, IN1, IN_BYTES)];
    this.decoded = new Float32Array(buf, DEC, CHUNK_ELEMENTS);
    this.decodedBits = new Uint32Array(buf, DEC, CHUNK_ELEMENTS);
    this.codes = new CodeRows(buf, CODES);
  }

  /** A kernel instance (its memory sized once, never grown, so the views stay valid), or undefined without WebAssembly SIMD. */
  static create(): ScanKernel | undefined {
    const m = module();
    if (!m) return undefined;
    const k = instantiateKernel<Exports>(m, BYTES);
    return new ScanKernel(k);
  }

  f32(a: Float32Array, from: number, to: number, K: number, r: Float64Array, cols?: Float64Array, col = 0): boolean {
    const mem = this.k.memory.buffer;
    if (a.buffer !== mem || (cols && cols.buffer !== mem)) return false;
    this.k.f32(a.byteOffset + from * 4, to - from, K, HIST, OUT);
    if (cols) this.k.cols_sq(a.byteOffset + from * 4, to - from, cols.byteOffset + col * 8);
    r.set(this.out);
    return true;
  }

  channelBuffer(n: number): Float64Array | undefined {
    return n <= MAX_COLS ? new Float64Array(this.k.memory.buffer, COLS, n).fill(0) : undefined;
  }

  /**
   * Scans tensor t into acc (reset by the caller with t's channel plan); false, having read nothing, when the
   * tensor is not one this path covers.
   */
  async scan(t: Tensor, acc: Accumulator, opts: ScanOptions): Promise<boolean> {
    try {
      return await this.scanTensor(t, acc, opts);
    } finally {
      // The fine histogram's second table into acc.hist (also after a cancel: the next tensor starts from zeros).
      this.k.fold16(HIST);
    }
  }

  /**
   * Whether scan takes tensor t with this channel layout and the reader's quantization (stats workers get only
   * such tensors, so their results are this kernel's).
   */
  static takes(t: Tensor, layout: ChannelPlan['layout'] | undefined, opts: Pick<ScanOptions, 'quantization' | 'raw'>): boolean {
    if (!t.data || t.elementCount === 0) return false;
    if (t.quantization?.kind === 'ggml') return layout !== 'last';
    if (opts.quantization || opts.raw) return false;
    const d = storedDType(t);
    // Channels last (ONNX MatMul weights): float32 only; 16-bit patterns are counted without their positions.
    if (layout === 'last') return d === 'float32';
    return d === 'float32' || ((d === 'float16' || d === 'bfloat16') && t.elementCount >= MIN_COUNTED);
  }

  private async scanTensor(t: Tensor, acc: Accumulator, opts: ScanOptions): Promise<boolean> {
    if (!ScanKernel.takes(t, acc.layout, opts)) return false;
    const src = t.data!;
    if (t.quantization?.kind === 'ggml') return this.scanGgml(t, src, acc, opts);
    const d = storedDType(t);
    if (d === 'float32') return this.scanF32(t, src, acc, opts);
    return this.scanHalf(t, d as 'float16' | 'bfloat16', src, acc, opts);
  }

  private async scanF32(t: Tensor, src: ByteSource, acc: Accumulator, opts: ScanOptions): Promise<boolean> {
    const total = t.elementCount;
    await this.stream(src, Math.ceil(total / CHUNK_ELEMENTS), (i) => [i * CHUNK_ELEMENTS * 4, Math.min(CHUNK_ELEMENTS, total - i * CHUNK_ELEMENTS) * 4], (bytes) => {
      const len = bytes.length >> 2;
      acc.add(new Float32Array(bytes.buffer, bytes.byteOffset, len), new Uint32Array(bytes.buffer, bytes.byteOffset, len), len);
    }, opts);
    return true;
  }

  private async scanGgml(t: Tensor, src: ByteSource, acc: Accumulator, opts: ScanOptions): Promise<boolean> {
    const type = (t.quantization as { type: keyof typeof GGML_BLOCKS }).type;
    const { elements, bytes: size } = GGML_BLOCKS[type];
    const total = t.elementCount;
    const inner = acc.channelSq ? total / acc.channelSq.length : total;
    // Q8_0/Q4_0 go straight from blocks to statistics when rows are whole blocks (ggml's rule); others dequantize.
    const fused = (type === 'Q8_0' || type === 'Q4_0') && inner % elements === 0 && total % elements === 0;
    const stats = type === 'Q8_0' ? this.k.q8_0_stats : this.k.q4_0_stats;
    const dequantize = (bytes: Uint8Array, blocks: number) => this.dequantize(type, bytes, blocks);
    // Whole blocks per chunk (a multiple of 256 elements): an input buffer's worth of blocks when they go straight to
    // statistics (fewer, bigger reads), else what the dequantized values' buffer holds.
    const per = fused ? Math.floor(Math.floor(IN_BYTES / size) * elements / 256) * 256 : CHUNK_ELEMENTS;
    if (fused) {
      if (await this.scanCodes(t, src, acc, opts, type as 'Q8_0' | 'Q4_0', per)) return true;
      // A NaN/Inf scale, too many scales, or a zero min/max (whose sign is the first zero's): value by value.
      acc.restart();
    }
    await this.streamBlocks(src, total, type, per, (bytes, len, i) => {
      if (!fused) {
        dequantize(bytes, bytes.length / size);
        acc.add(this.decoded, this.decodedBits, len);
        return;
      }
      if (i === 0) this.shiftFromFirstBlocks(acc, type, bytes);
      acc.addSegments(len, (from, to, r) => {
        const at = bytes.byteOffset + (from / elements) * size;
        const blocks = (to - from) / elements;
        const segment = (): [Float32Array, Uint32Array] => {
          dequantize(bytes.subarray((from / elements) * size, (to / elements) * size), blocks);
          return [this.decoded, this.decodedBits];
        };
        // A NaN/Inf scale: the kernel refused having counted nothing, and the elements take the JS loop.
        if (stats(at, blocks, acc.K, HIST, OUT) !== 0) return segment();
        r.set(this.out);
        // Equal zeros (+0, −0) in other lanes: the JS loop keeps the first one met as min/max.
        if (r[0] === 0 || r[1] === 0) firstExtremes(segment()[0], 0, to - from, r);
        return undefined;
      }, CHUNK_ELEMENTS); // pieces the dequantized values' buffer can hold, should one need the JS loop
    }, opts);
    return true;
  }

  /**
   * Q8_0/Q4_0 by counting codes per scale (ggml-codes.ts): the block sums per segment from the kernel, then the
   * histogram, min/max and zeros from the rows. False, with acc to be restarted, when a scale is NaN/Inf, a piece
   * has more distinct scales than there are rows, or the min or max is zero (the element loop keeps the first zero's
   * sign, which the rows do not know).
   */
  private async scanCodes(t: Tensor, src: ByteSource, acc: Accumulator, opts: ScanOptions, type: 'Q8_0' | 'Q4_0', per: number): Promise<boolean> {
    const { elements, bytes: size } = GGML_BLOCKS[type];
    const total = t.elementCount;
    const count = type === 'Q8_0' ? this.k.q8_0_codes : this.k.q4_0_codes;
    const rows = this.codes;
    const totals: CodeTotals = { min: Infinity, max: -Infinity, zeros: 0 };
    const refused = new Error('codes refused');
    rows.reset();
    try {
      await this.streamBlocks(src, total, type, per, (bytes, len, i) => {
        if (i === 0) this.shiftFromFirstBlocks(acc, type, bytes);
        acc.addSegments(len, (from, to, r) => {
          const at = bytes.byteOffset + (from / elements) * size;
          const blocks = (to - from) / elements;
          let rc = count(at, blocks, acc.K, rows.remap, rows.tab, rows.state, OUT);
          if (rc === 2) {
            rows.flush(type === 'Q8_0', this.hist, totals);
            rc = count(at, blocks, acc.K, rows.remap, rows.tab, rows.state, OUT);
          }
          if (rc !== 0) throw refused;
          // min/max/zeros come from the rows at the end; the segment brings its exact sums.
          r[0] = Infinity;
          r[1] = -Infinity;
          r[2] = this.out[2];
          r[3] = this.out[3];
          r[4] = 0;
          return undefined;
        }, CHUNK_ELEMENTS);
      }, opts);
    } catch (e) {
      if (e !== refused) throw e;
      rows.reset();
      return false;
    }
    rows.flush(type === 'Q8_0', this.hist, totals);
    if (totals.min === 0 || totals.max === 0) return false;
    acc.addExtremes(totals.min, totals.max, totals.zeros);
    return true;
  }

  /** GGML blocks dequantized into the kernel's value buffer (Q8_0/Q4_0 on the kernel, the K-quants in JS). */
  private dequantize(type: GgmlBlockType, bytes: Uint8Array, blocks: number): void {
    if (type === 'Q8_0') this.k.q8_0(bytes.byteOffset, blocks, DEC);
    else if (type === 'Q4_0') this.k.q4_0(bytes.byteOffset, blocks, DEC);
    else dequantizeGgml(type, bytes, this.decoded, blocks);
  }

  /** The shift K from a tensor's first blocks: their first finite value, as acc.add would take it. */
  private shiftFromFirstBlocks(acc: Accumulator, type: GgmlBlockType, bytes: Uint8Array): void {
    const { elements, bytes: size } = GGML_BLOCKS[type];
    const blocks = Math.min(bytes.length / size, 64);
    this.dequantize(type, bytes, blocks);
    acc.setShift(this.decoded.subarray(0, blocks * elements).find(Number.isFinite) ?? 0);
  }

  /** A tensor of GGML blocks in chunks of `per` elements (whole blocks), each with its element count. */
  private streamBlocks(src: ByteSource, total: number, type: GgmlBlockType, per: number, process: (bytes: Uint8Array, len: number, i: number) => void, opts: ScanOptions): Promise<void> {
    const { elements, bytes: size } = GGML_BLOCKS[type];
    return this.stream(src, Math.ceil(total / per), (i) => {
      const first = i * per;
      return [(first / elements) * size, Math.ceil(Math.min(per, total - first) / elements) * size];
    }, (bytes, i) => process(bytes, Math.min(per, total - i * per), i), opts);
  }

  private async scanHalf(t: Tensor, d: 'float16' | 'bfloat16', src: ByteSource, acc: Accumulator, opts: ScanOptions): Promise<boolean> {
    const total = t.elementCount;
    const values = halfFloatTable(d);
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    const cnt = this.cnt;
    const cnt2 = this.cnt2;
    cnt.fill(0);
    cnt2.fill(0);
    const plan = acc.layout === 'first' ? acc.channelSq : undefined;
    const inner = plan ? total / plan.length : 0;
    const countSq = d === 'float16' ? this.k.count16_f16sq : this.k.count16_bf16sq;
    let firstZero = NaN;
    // Rows split at their ends, so that each row's sum of squares (its channel norm) comes out of one call.
    const countRows = (bytes: Uint8Array, first: number, len: number) => {
      const h = new Uint16Array(bytes.buffer, bytes.byteOffset, len);
      for (let k = 0; k < len; ) {
        const pos = first + k;
        const row = Math.floor(pos / inner);
        const end = Math.min(len, k + (inner - (pos % inner)));
        let sq = countSq(bytes.byteOffset + k * 2, end - k, CNT);
        if (!Number.isFinite(sq)) sq = finiteSquares(h, k, end, values);
        plan![row] += sq;
        k = end;
      }
    };
    await this.stream(src, Math.ceil(total / HALF_CHUNK), (i) => [i * HALF_CHUNK * 2, Math.min(HALF_CHUNK, total - i * HALF_CHUNK) * 2], (bytes, i) => {
      const len = bytes.length >> 1;
      const first = i * HALF_CHUNK;
      const h = new Uint16Array(bytes.buffer, bytes.byteOffset, len);
      if (i === 0) {
        let k = 0;
        while (k < len && !Number.isFinite(values[h[k]])) k++;
        acc.setShift(k < len ? values[h[k]] : 0);
      }
      const zeros = cnt[0] + cnt[0x8000] + cnt2[0] + cnt2[0x8000];
      if (!plan) this.k.count16(bytes.byteOffset, len, CNT);
      else countRows(bytes, first, len);
      // The first zero's sign (min/max keep the first of equal values): looked for in the chunk that brought it.
      if (firstZero !== firstZero && cnt[0] + cnt[0x8000] + cnt2[0] + cnt2[0x8000] !== zeros) {
        let k = 0;
        while ((h[k] & 0x7fff) !== 0) k++;
        firstZero = values[h[k]];
      }
    }, opts);
    this.k.fold16(CNT);
    acc.addPatternCounts(cnt, values, bits, firstZero);
    return true;
  }


  /**
   * Reads `chunks` byte ranges of src (range(i) = [offset, length]) into the two input buffers in turn, starting
   * chunk i+1's read before chunk i is processed.
   */
  private async stream(src: ByteSource, chunks: number, range: (i: number) => [number, number], process: (bytes: Uint8Array, i: number) => void, opts: ScanOptions): Promise<void> {
    const load = async (i: number): Promise<Uint8Array> => {
      const [offset, length] = range(i);
      const target = this.inputs[i & 1].subarray(0, length);
      if (src.readInto) await src.readInto(offset, length, target);
      else target.set(await src.read(offset, length));
      return target;
    };
    let next: Promise<Uint8Array> | undefined = load(0);
    try {
      for (let i = 0; i < chunks; i++) {
        const bytes: Uint8Array = await next!;
        next = i + 1 < chunks ? load(i + 1) : undefined;
        await maybeYield(opts.signal);
        opts.onBytes?.(bytes.length);
        process(bytes, i);
      }
    } finally {
      // A chunk still in flight when a read failed or the scan was cancelled: settle it quietly (it only writes
      // into the kernel's own memory).
      next?.catch(() => undefined);
    }
  }
}

/** Sum of squares of the finite values among patterns h[from..to) (a row holding NaN/Inf, which the kernel flags). */
function finiteSquares(h: Uint16Array, from: number, to: number, values: Float32Array): number {
  let s = 0;
  for (let i = from; i < to; i++) {
    const v = values[h[i]];
    if (Number.isFinite(v)) s += v * v;
  }
  return s;
}
