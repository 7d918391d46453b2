import { float16ToNumber } from '../../model/float-bits';
import type { GgmlBlockType } from '../../model/tensor';

/**
 * GGML block dequantization (the layouts of ggml's block_q* structs, little-endian): `blocks` whole blocks of
 * `bytes` → blocks × elements float32 values in `out`. Written from the block layouts for the stats' histograms;
 * loops are per type with table lookups for the half floats, so a scan costs about as much as a float16 one.
 */

/** Elements and bytes per block. */
export const GGML_BLOCKS: Readonly<Record<GgmlBlockType, { elements: number; bytes: number }>> = {
  Q4_0: { elements: 32, bytes: 18 }, // d f16, 16 bytes of 4-bit q (low nibbles: 0..15, high: 16..31)
  Q4_1: { elements: 32, bytes: 20 }, // d f16, m f16, 16 bytes of 4-bit q
  Q5_0: { elements: 32, bytes: 22 }, // d f16, qh u32 (fifth bits), 16 bytes of low nibbles
  Q5_1: { elements: 32, bytes: 24 }, // d f16, m f16, qh u32, 16 bytes
  Q8_0: { elements: 32, bytes: 34 }, // d f16, 32 int8
  Q2_K: { elements: 256, bytes: 84 }, // scales[16] (4-bit scale | 4-bit min), qs[64] 2-bit, d f16, dmin f16
  Q3_K: { elements: 256, bytes: 110 }, // hmask[32], qs[64] 2-bit, scales[12] (16 × 6-bit), d f16
  Q4_K: { elements: 256, bytes: 144 }, // d f16, dmin f16, scales[12] (8 × 6-bit scale + min), qs[128]
  Q5_K: { elements: 256, bytes: 176 }, // d f16, dmin f16, scales[12], qh[32], qs[128]
  Q6_K: { elements: 256, bytes: 210 }, // ql[128], qh[64], scales[16] int8, d f16
  Q8_K: { elements: 256, bytes: 292 }, // d f32, qs[256] int8, bsums[16] int16
};

let f16: Float32Array | undefined;
function half(): Float32Array {
  if (!f16) {
    f16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16[h] = float16ToNumber(h);
  }
  return f16;
}

/** Dequantizes `blocks` blocks of `type` starting at bytes[0] into out[0 .. blocks × elements). */
export function dequantizeGgml(type: GgmlBlockType, bytes: Uint8Array, out: Float32Array, blocks: number): void {
  const need = blocks * GGML_BLOCKS[type].bytes;
  if (bytes.length < need) throw new RangeError(`${type}: ${blocks} blocks need ${need} bytes, got ${bytes.length}`);
  switch (type) {
    case 'Q4_0': return q4_0(bytes, out, blocks);
    case 'Q4_1': return q4_1(bytes, out, blocks);
    case 'Q5_0': return q5(bytes, out, blocks, false);
    case 'Q5_1': return q5(bytes, out, blocks, true);
    case 'Q8_0': return q8_0(bytes, out, blocks);
    case 'Q2_K': return q2_k(bytes, out, blocks);
    case 'Q3_K': return q3_k(bytes, out, blocks);
    case 'Q4_K': return q4_k(bytes, out, blocks);
    case 'Q5_K': return q5_k(bytes, out, blocks);
    case 'Q6_K': return q6_k(bytes, out, blocks);
    case 'Q8_K': return q8_k(bytes, out, blocks);
  }
}

function q4_0(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 18, w += 32) {
    const d = t[x[o] | (x[o + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = x[o + 2 + j];
      y[w + j] = ((q & 15) - 8) * d;
      y[w + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

function q4_1(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 20, w += 32) {
    const d = t[x[o] | (x[o + 1] << 8)];
    const m = t[x[o + 2] | (x[o + 3] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = x[o + 4 + j];
      y[w + j] = (q & 15) * d + m;
      y[w + j + 16] = (q >> 4) * d + m;
    }
  }
}

/** Q5_0 (signed, minus 16) and Q5_1 (with min): bit j of qh is the fifth bit of element j. */
function q5(x: Uint8Array, y: Float32Array, blocks: number, withMin: boolean): void {
  const t = half();
  const size = withMin ? 24 : 22;
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += size, w += 32) {
    const d = t[x[o] | (x[o + 1] << 8)];
    const m = withMin ? t[x[o + 2] | (x[o + 3] << 8)] : 0;
    const h = withMin ? o + 4 : o + 2;
    const qh = (x[h] | (x[h + 1] << 8) | (x[h + 2] << 16) | (x[h + 3] << 24)) >>> 0;
    const qs = h + 4;
    const sub = withMin ? 0 : 16;
    for (let j = 0; j < 16; j++) {
      const q = x[qs + j];
      const lo = (q & 15) | (((qh >>> j) & 1) << 4);
      const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      y[w + j] = (lo - sub) * d + m;
      y[w + j + 16] = (hi - sub) * d + m;
    }
  }
}

function q8_0(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 34, w += 32) {
    const d = t[x[o] | (x[o + 1] << 8)];
    for (let j = 0; j < 32; j++) y[w + j] = ((x[o + 2 + j] << 24) >> 24) * d;
  }
}

function q2_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 84, w += 256) {
    const d = t[x[o + 80] | (x[o + 81] << 8)];
    const dmin = t[x[o + 82] | (x[o + 83] << 8)];
    // Two halves of 128 values, each read from 32 bytes of qs at shifts 0, 2, 4, 6; a 4-bit scale and min per 16 values.
    for (let n = 0; n < 2; n++) {
      const qs = o + 16 + 32 * n;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        for (let half16 = 0; half16 < 2; half16++) {
          const sc = x[o + n * 8 + j * 2 + half16];
          const dl = d * (sc & 15);
          const ml = dmin * (sc >> 4);
          const base = w + n * 128 + j * 32 + half16 * 16;
          const q = qs + half16 * 16;
          for (let l = 0; l < 16; l++) y[base + l] = dl * ((x[q + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

function q3_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  const scales = new Int32Array(16);
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 110, w += 256) {
    const d = t[x[o + 108] | (x[o + 109] << 8)];
    const s = o + 96;
    // 16 six-bit scales: low 4 bits from the nibbles of bytes 0..7, high 2 bits from bytes 8..11.
    for (let i = 0; i < 16; i++) {
      const low = i < 8 ? x[s + i] & 15 : x[s + i - 8] >> 4;
      const high = (x[s + 8 + (i & 3)] >> (2 * (i >> 2))) & 3;
      scales[i] = (low | (high << 4)) - 32;
    }
    let bit = 0;
    for (let n = 0; n < 2; n++) {
      const qs = o + 32 + 32 * n;
      for (let j = 0; j < 4; j++, bit++) {
        const shift = 2 * j;
        const mask = 1 << bit;
        for (let half16 = 0; half16 < 2; half16++) {
          const dl = d * scales[n * 8 + j * 2 + half16];
          const base = w + n * 128 + j * 32 + half16 * 16;
          const q = qs + half16 * 16;
          const hm = o + half16 * 16;
          for (let l = 0; l < 16; l++) y[base + l] = dl * (((x[q + l] >> shift) & 3) - (x[hm + l] & mask ? 0 : 4));
        }
      }
    }
  }
}

/** Scale and min j (0..7) of the 12-byte packed K-quant scales at s, into sm[0], sm[1]. */
function scaleMinK4(x: Uint8Array, s: number, j: number, sm: Int32Array): void {
  if (j < 4) {
    sm[0] = x[s + j] & 63;
    sm[1] = x[s + j + 4] & 63;
  } else {
    sm[0] = (x[s + j + 4] & 15) | ((x[s + j - 4] >> 6) << 4);
    sm[1] = (x[s + j + 4] >> 4) | ((x[s + j] >> 6) << 4);
  }
}

function q4_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  const sm = new Int32Array(2);
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 144, w += 256) {
    const d = t[x[o] | (x[o + 1] << 8)];
    const dmin = t[x[o + 2] | (x[o + 3] << 8)];
    // Four groups of 64 values from 32 bytes each: low nibbles (sub-block 2g), then high nibbles (2g+1).
    for (let g = 0; g < 4; g++) {
      const q = o + 16 + 32 * g;
      scaleMinK4(x, o + 4, 2 * g, sm);
      const d1 = d * sm[0], m1 = dmin * sm[1];
      scaleMinK4(x, o + 4, 2 * g + 1, sm);
      const d2 = d * sm[0], m2 = dmin * sm[1];
      const base = w + 64 * g;
      for (let l = 0; l < 32; l++) {
        const v = x[q + l];
        y[base + l] = d1 * (v & 15) - m1;
        y[base + 32 + l] = d2 * (v >> 4) - m2;
      }
    }
  }
}

function q5_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  const sm = new Int32Array(2);
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 176, w += 256) {
    const d = t[x[o] | (x[o + 1] << 8)];
    const dmin = t[x[o + 2] | (x[o + 3] << 8)];
    const qh = o + 16;
    for (let g = 0; g < 4; g++) {
      const q = o + 48 + 32 * g;
      scaleMinK4(x, o + 4, 2 * g, sm);
      const d1 = d * sm[0], m1 = dmin * sm[1];
      scaleMinK4(x, o + 4, 2 * g + 1, sm);
      const d2 = d * sm[0], m2 = dmin * sm[1];
      // Fifth bits: bit 2g of qh[l] for the low nibbles, bit 2g+1 for the high ones.
      const s1 = 2 * g, s2 = 2 * g + 1;
      const base = w + 64 * g;
      for (let l = 0; l < 32; l++) {
        const v = x[q + l];
        const h = x[qh + l];
        y[base + l] = d1 * ((v & 15) | (((h >> s1) & 1) << 4)) - m1;
        y[base + 32 + l] = d2 * ((v >> 4) | (((h >> s2) & 1) << 4)) - m2;
      }
    }
  }
}

function q6_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const t = half();
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 210, w += 256) {
    const d = t[x[o + 208] | (x[o + 209] << 8)];
    // Two halves of 128 values: ql 64 bytes (low nibbles then high), qh 32 bytes (2 bits each for 4 values).
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const sc = o + 192 + 8 * n;
      const base = w + 128 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = x[qh + l];
        const a = x[ql + l], c = x[ql + l + 32];
        y[base + l] = d * ((x[sc + is] << 24) >> 24) * (((a & 15) | ((h & 3) << 4)) - 32);
        y[base + l + 32] = d * ((x[sc + is + 2] << 24) >> 24) * (((c & 15) | (((h >> 2) & 3) << 4)) - 32);
        y[base + l + 64] = d * ((x[sc + is + 4] << 24) >> 24) * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
        y[base + l + 96] = d * ((x[sc + is + 6] << 24) >> 24) * (((c >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
    }
  }
}

function q8_k(x: Uint8Array, y: Float32Array, blocks: number): void {
  const v = new DataView(x.buffer, x.byteOffset, x.byteLength);
  for (let b = 0, o = 0, w = 0; b < blocks; b++, o += 292, w += 256) {
    const d = v.getFloat32(o, true);
    for (let j = 0; j < 256; j++) y[w + j] = ((x[o + 4 + j] << 24) >> 24) * d;
  }
}
