// An independent GGML quantizer for the tests: float values -> block bytes, plus the values those bytes stand for
// (its own reconstruction from the integers and half-float scales it chose). Written element by element from the
// block layouts (where each element's bits go), not by inverting src/formats/gguf/dequantize.ts. Scales are
// chosen simply (max-abs / range); a good quantizer is not the point, a faithful layout is.

export type QuantType = 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K';

export const BLOCK: Record<QuantType, { n: number; bytes: number }> = {
  Q4_0: { n: 32, bytes: 18 }, Q4_1: { n: 32, bytes: 20 }, Q5_0: { n: 32, bytes: 22 }, Q5_1: { n: 32, bytes: 24 }, Q8_0: { n: 32, bytes: 34 },
  Q2_K: { n: 256, bytes: 84 }, Q3_K: { n: 256, bytes: 110 }, Q4_K: { n: 256, bytes: 144 }, Q5_K: { n: 256, bytes: 176 }, Q6_K: { n: 256, bytes: 210 },
};

/** IEEE half: nearest (ties to even) half bits of a double, and back. Own implementation, for independence. */
export function toHalfBits(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === 0) return sign;
  if (a >= 65520) return sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < -14) {
    const m = roundEven(a / 2 ** -24);
    return sign | m; // m may reach 1024: that is the smallest normal, which the bits spell correctly
  }
  let m = roundEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}
export function halfValue(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}
function roundEven(x: number): number {
  const f = Math.floor(x);
  const r = x - f;
  return r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
}
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function putHalf(out: Uint8Array, at: number, x: number): number {
  const h = toHalfBits(x);
  out[at] = h & 255;
  out[at + 1] = h >> 8;
  return halfValue(h);
}

/** The scale `d` (half-rounded) each blocker chose for its last block. */
let lastD = NaN;

/** Quantizes `values` (length a multiple of the block size) to `type`; returns the bytes, what they decode to and each block's scale d. */
export function quantize(type: QuantType, values: ArrayLike<number>): { bytes: Uint8Array; values: Float64Array; d: Float64Array } {
  const { n, bytes: size } = BLOCK[type];
  if (values.length % n) throw new Error('length must be a multiple of the block size');
  const blocks = values.length / n;
  const out = new Uint8Array(blocks * size);
  const rec = new Float64Array(values.length);
  const ds = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const x = Array.from({ length: n }, (_, i) => values[b * n + i]);
    const blk = out.subarray(b * size, (b + 1) * size);
    const r = rec.subarray(b * n, (b + 1) * n);
    BLOCKERS[type](x, blk, r);
    ds[b] = lastD;
  }
  return { bytes: out, values: rec, d: ds };
}

type Blocker = (x: number[], o: Uint8Array, r: Float64Array) => void;

/** 4/5-bit element i of a 32-block: low nibble of qs[i] for i < 16, high nibble of qs[i - 16] after. */
function putNibble32(o: Uint8Array, qs: number, i: number, q: number): void {
  if (i < 16) o[qs + i] |= q & 15;
  else o[qs + i - 16] |= (q & 15) << 4;
}

function legacy(bits: 4 | 5, withMin: boolean): Blocker {
  return (x, o, r) => {
    const levels = (1 << bits) - 1;
    let d: number, m = 0;
    let pos = 2;
    if (withMin) {
      const lo = Math.min(...x), hi = Math.max(...x);
      d = lastD = putHalf(o, 0, (hi - lo) / levels);
      m = putHalf(o, 2, lo);
      pos = 4;
    } else {
      const amax = x.reduce((a, v) => (Math.abs(v) > Math.abs(a) ? v : a), 0);
      d = lastD = putHalf(o, 0, amax / -(1 << (bits - 1)));
    }
    const offset = withMin ? 0 : 1 << (bits - 1);
    let qh = 0;
    const qs = bits === 5 ? pos + 4 : pos;
    x.forEach((v, i) => {
      const q = d === 0 ? offset : clamp(Math.round((v - m) / d) + offset, 0, levels);
      putNibble32(o, qs, i, q);
      if (bits === 5 && q & 16) qh |= 1 << i;
      r[i] = (q - offset) * d + m;
    });
    if (bits === 5) new DataView(o.buffer, o.byteOffset + pos, 4).setUint32(0, qh >>> 0, true);
  };
}

const q8_0: Blocker = (x, o, r) => {
  const amax = Math.max(...x.map(Math.abs));
  const d = (lastD = putHalf(o, 0, amax / 127));
  x.forEach((v, i) => {
    const q = d === 0 ? 0 : clamp(Math.round(v / d), -128, 127);
    o[2 + i] = q & 255;
    r[i] = q * d;
  });
};

/** 6-bit scale/min pair j (0..7) into the 12 packed bytes at s (the K-quant scale packing). */
function putScaleMin6(o: Uint8Array, s: number, j: number, sc: number, mn: number): void {
  if (j < 4) {
    o[s + j] |= sc & 63;
    o[s + j + 4] |= mn & 63;
  } else {
    o[s + j + 4] |= (sc & 15) | ((mn & 15) << 4);
    o[s + j - 4] |= (sc >> 4) << 6;
    o[s + j] |= (mn >> 4) << 6;
  }
}

/** Q4_K / Q5_K: 8 sub-blocks of 32 with 6-bit scale and min; value = d*sc*q - dmin*m. */
function kWithMin(bits: 4 | 5): Blocker {
  return (x, o, r) => {
    const levels = (1 << bits) - 1;
    const subScale: number[] = [], subMin: number[] = [];
    for (let s = 0; s < 8; s++) {
      const part = x.slice(32 * s, 32 * s + 32);
      const lo = Math.min(0, ...part), hi = Math.max(...part);
      subScale.push((hi - lo) / levels);
      subMin.push(-lo);
    }
    const d = (lastD = putHalf(o, 0, Math.max(...subScale) / 63));
    const dmin = putHalf(o, 2, Math.max(...subMin) / 63);
    const qs = bits === 5 ? 48 : 16;
    for (let s = 0; s < 8; s++) {
      const sc = d === 0 ? 0 : clamp(Math.round(subScale[s] / d), 0, 63);
      const mn = dmin === 0 ? 0 : clamp(Math.round(subMin[s] / dmin), 0, 63);
      putScaleMin6(o, 4, s, sc, mn);
      const g = s >> 1, high = s & 1;
      for (let l = 0; l < 32; l++) {
        const v = x[32 * s + l];
        const q = d * sc === 0 ? 0 : clamp(Math.round((v + dmin * mn) / (d * sc)), 0, levels);
        o[qs + 32 * g + l] |= (q & 15) << (4 * high);
        if (bits === 5 && q & 16) o[16 + l] |= 1 << (2 * g + high);
        r[32 * s + l] = d * sc * q - dmin * mn;
      }
    }
  };
}

/** Where 2-bit element i of a 256-block sits in Q2_K/Q3_K's qs: byte 32n + 16h + l, bits 2j. */
function qs2(i: number): { byte: number; shift: number; n: number; j: number; h: number; l: number } {
  const n = i >> 7, rr = i & 127, j = rr >> 5, h = (rr >> 4) & 1, l = rr & 15;
  return { byte: 32 * n + 16 * h + l, shift: 2 * j, n, j, h, l };
}

const q2_k: Blocker = (x, o, r) => {
  const subScale: number[] = [], subMin: number[] = [];
  for (let s = 0; s < 16; s++) {
    const part = x.slice(16 * s, 16 * s + 16);
    const lo = Math.min(0, ...part), hi = Math.max(...part);
    subScale.push((hi - lo) / 3);
    subMin.push(-lo);
  }
  const d = (lastD = putHalf(o, 80, Math.max(...subScale) / 15));
  const dmin = putHalf(o, 82, Math.max(...subMin) / 15);
  for (let s = 0; s < 16; s++) {
    const sc = d === 0 ? 0 : clamp(Math.round(subScale[s] / d), 0, 15);
    const mn = dmin === 0 ? 0 : clamp(Math.round(subMin[s] / dmin), 0, 15);
    o[s] = sc | (mn << 4);
    for (let k = 0; k < 16; k++) {
      const i = 16 * s + k;
      const q = d * sc === 0 ? 0 : clamp(Math.round((x[i] + dmin * mn) / (d * sc)), 0, 3);
      const p = qs2(i);
      o[16 + p.byte] |= q << p.shift;
      r[i] = d * sc * q - dmin * mn;
    }
  }
};

const q3_k: Blocker = (x, o, r) => {
  const amaxes: number[] = [];
  for (let s = 0; s < 16; s++) amaxes.push(Math.max(...x.slice(16 * s, 16 * s + 16).map(Math.abs)) / 4);
  const d = (lastD = putHalf(o, 108, Math.max(...amaxes) / 31));
  for (let s = 0; s < 16; s++) {
    const sc = d === 0 ? 0 : clamp(Math.round(amaxes[s] / d), -32, 31);
    const u = sc + 32; // stored 6-bit
    // low 4 bits: nibbles of bytes 0..7 (low nibble for s < 8, high for s >= 8); high 2 bits: bytes 8..11
    if (s < 8) o[96 + s] |= u & 15;
    else o[96 + s - 8] |= (u & 15) << 4;
    o[96 + 8 + (s % 4)] |= (u >> 4) << (2 * Math.floor(s / 4));
    for (let k = 0; k < 16; k++) {
      const i = 16 * s + k;
      const q = d * sc === 0 ? 0 : clamp(Math.round(x[i] / (d * sc)), -4, 3);
      const q3 = q + 4;
      const p = qs2(i);
      o[32 + p.byte] |= (q3 & 3) << p.shift;
      if (q3 & 4) o[16 * p.h + p.l] |= 1 << (4 * p.n + p.j);
      r[i] = d * sc * q;
    }
  }
};

const q6_k: Blocker = (x, o, r) => {
  const amaxes: number[] = [];
  for (let s = 0; s < 16; s++) amaxes.push(Math.max(...x.slice(16 * s, 16 * s + 16).map(Math.abs)) / 32);
  const d = (lastD = putHalf(o, 208, Math.max(...amaxes) / 127));
  for (let s = 0; s < 16; s++) {
    const sc = d === 0 ? 0 : clamp(Math.round(amaxes[s] / d), -128, 127);
    o[192 + s] = sc & 255;
    for (let k = 0; k < 16; k++) {
      const i = 16 * s + k;
      const q = d * sc === 0 ? 0 : clamp(Math.round(x[i] / (d * sc)), -32, 31);
      const u = q + 32;
      // element i: half n, quarter k4 of 32, position l; scale index 8n + (l >> 4) + 2*k4 is s by construction
      const n = i >> 7, k4 = (i & 127) >> 5, l = i & 31;
      o[64 * n + l + 32 * (k4 & 1)] |= (u & 15) << (4 * (k4 >> 1));
      o[128 + 32 * n + l] |= (u >> 4) << (2 * k4);
      r[i] = d * sc * q;
    }
  }
};

const BLOCKERS: Record<QuantType, Blocker> = {
  Q4_0: legacy(4, false), Q4_1: legacy(4, true), Q5_0: legacy(5, false), Q5_1: legacy(5, true), Q8_0: q8_0,
  Q2_K: q2_k, Q3_K: q3_k, Q4_K: kWithMin(4), Q5_K: kWithMin(5), Q6_K: q6_k,
};
