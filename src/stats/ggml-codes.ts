import { halfFloatTable } from './decode';

/**
 * GGML Q8_0 / Q4_0 statistics by counting codes per scale. A block is a float16 scale d and 32 small integers q, its
 * values d·q; a tensor has few distinct scales. The kernels (q8_0_codes / q4_0_codes in kernels/stats-scan.wat) add
 * one to row[scale][code] per code (a Q4_0 byte holds two codes and is counted once), which costs less than turning
 * every value into float32 and binning it; here each (scale, code) pair is turned into its value once, counted as
 * many times as it occurred: the fine histogram, min/max and zeros, exactly as the value-by-value loop gives them.
 */

/** Rows (distinct scales) a run can count before its rows are folded into the histogram and reused. */
export const ROWS = 8192;
const REMAP_BYTES = 65536 * 2;
const STATE_BYTES = 8 + ROWS * 2;
/** Memory the rows take in the kernel's memory (remap, state, rows), from a 16-byte aligned offset. */
export const CODES_BYTES = REMAP_BYTES + STATE_BYTES + ROWS * 1024;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The values counted so far: min, max and zeros (the histogram is counted into the caller's). */
export interface CodeTotals {
  min: number;
  max: number;
  zeros: number;
}

export class CodeRows {
  readonly remap: number;
  readonly state: number;
  readonly tab: number;
  private readonly remapView: Uint16Array;
  private readonly stateView: Uint32Array;
  private readonly scales: Uint16Array;
  private readonly rows: Int32Array;

  /** Lays the rows out in `memory` at byte offset `at`. */
  constructor(memory: ArrayBuffer, at: number) {
    this.remap = at;
    this.state = at + REMAP_BYTES;
    this.tab = this.state + STATE_BYTES;
    this.remapView = new Uint16Array(memory, this.remap, 65536);
    this.stateView = new Uint32Array(memory, this.state, 2);
    this.scales = new Uint16Array(memory, this.state + 8, ROWS);
    this.rows = new Int32Array(memory, this.tab, ROWS * 256);
  }

  /** No rows assigned, all counts zero (after a refused run too). */
  reset(): void {
    this.rows.fill(0, 0, this.stateView[0] * 256);
    this.remapView.fill(0xffff);
    this.stateView[0] = 0;
    this.stateView[1] = ROWS;
  }

  /** Folds every row into `hist` and `totals` and frees the rows. Q4_0 rows count bytes (two codes each). */
  flush(q8: boolean, hist: Int32Array, totals: CodeTotals): void {
    const halves = halfFloatTable('float16');
    const n = this.stateView[0];
    const add = (v: number, c: number) => {
      f32[0] = v; // the float32 product, rounded once as the value-by-value loop rounds it
      const x = f32[0];
      hist[u32[0] >>> 16] += c;
      if (x === 0) totals.zeros += c;
      if (x < totals.min) totals.min = x;
      if (x > totals.max) totals.max = x;
    };
    for (let r = 0; r < n; r++) {
      const d = halves[this.scales[r]];
      const base = r * 256;
      for (let b = 0; b < 256; b++) {
        const c = this.rows[base + b];
        if (c === 0) continue;
        if (q8) add(d * ((b << 24) >> 24), c);
        else {
          add(d * ((b & 15) - 8), c);
          add(d * ((b >> 4) - 8), c);
        }
      }
      this.remapView[this.scales[r]] = 0xffff;
    }
    this.rows.fill(0, 0, n * 256);
    this.stateView[0] = 0;
  }
}
