import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { computeModelStats } from '../../src/stats';
import { Accumulator } from '../../src/stats/accumulator';
import { ScanKernel } from '../../src/stats/kernel-scan';
import { channelPlan, weightContexts } from '../../src/stats/weight-context';
import type { ModelStats, StatsBlock, TensorStats } from '../../src/protocol/stats';
import { safetensorsBytes, type SafetensorsSpec } from '../support/safetensors-writer';
import { ggufBytes, type GgufTensorSpec } from '../support/gguf-writer';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { rng } from '../support/xorshift';

// The WebAssembly scan (src/stats/kernel-scan.ts) against the plain JS loops on the same files: random data with
// NaN, ±Inf, ±0 and subnormals, tensors over one chunk (rows straddling chunk ends) and under, every element type it
// takes. Everything must be identical except the sums' rounding (mean, std, l2, kurtosis, channel norms).

/** float32 values: mostly N(0.1, 1)-ish, with planted specials. */
function f32Values(n: number, seed: number, opts: { nonNegative?: boolean; specials?: boolean } = {}): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -3e-42, 1.4e-45, 3.4e38];
  for (let i = 0; i < n; i++) {
    let v = ((r() / 2 ** 32) + (r() / 2 ** 32) + (r() / 2 ** 32) - 1.5) * 2 + 0.1;
    if (opts.specials && r() % 97 === 0) v = specials[r() % specials.length];
    out[i] = opts.nonNegative ? Math.abs(v) : v;
  }
  return out;
}

/** 16-bit patterns: mostly small weights (exponents around 2^-5), some anything at all (NaN/Inf/subnormal/±0). */
function halfPatterns(n: number, seed: number, bf: boolean, opts: { specials?: boolean; nonNegative?: boolean } = {}): Uint16Array {
  const r = rng(seed);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const x = r();
    let h = bf ? (x & 0x807f) | ((120 + (x >>> 20) % 8) << 7) : (x & 0x83ff) | ((8 + (x >>> 20) % 6) << 10);
    if (opts.specials && (x >>> 8) % 53 === 0) h = x >>> 16;
    if (opts.specials && (x >>> 8) % 211 === 1) h = (x >>> 16) & 0x8000; // ±0
    if (opts.nonNegative) h &= 0x7fff;
    out[i] = h;
  }
  return out;
}

/** The test files, written by the suite's format writers. */
function safetensors(path: string, tensors: SafetensorsSpec[]): void {
  writeFileSync(path, safetensorsBytes(tensors));
}

/** A GGUF v3 file: dims are ggml's (ne0 = row length first). */
function gguf(path: string, tensors: GgufTensorSpec[]): void {
  writeFileSync(path, ggufBytes([['general.architecture', { type: 'string', value: 'test' }]], tensors));
}

/** Random GGML blocks with random half scales, a few of them NaN/Inf/0/subnormal (finite: only 0/subnormal). */
function blocks(count: number, size: number, scaleAt: number[], seed: number, finite = false): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(count * size);
  for (let i = 0; i < out.length; i++) out[i] = r() & 255;
  for (let b = 0; b < count; b++) {
    for (const at of scaleAt) {
      const x = r();
      let h = (x & 0x83ff) | ((6 + (x >>> 20) % 4) << 10);
      const pick = (x >>> 8) % 101;
      if (pick === 0 && !finite) h = 0x7c00 | (x & 0x8000); // ±Inf
      else if (pick === 1 && !finite) h = 0x7e00; // NaN
      else if (pick === 2) h = x & 0x8000; // ±0
      else if (pick === 3) h = (x & 0x83ff) | 1; // subnormal
      out[b * size + at] = h & 255;
      out[b * size + at + 1] = h >> 8;
    }
  }
  return out;
}

/** Q8_0 blocks of positive scales and codes 0..127: no negative value, so the minimum is a zero. */
function nonNegativeQ8(count: number, seed: number): Uint8Array {
  const out = blocks(count, 34, [0], seed, true);
  for (let b = 0; b < count; b++) {
    out[b * 34 + 1] &= 0x7f;
    for (let i = 2; i < 34; i++) out[b * 34 + i] &= 0x7f;
  }
  return out;
}

const bytesOf = (a: Float32Array | Uint16Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function sameBlock(a: StatsBlock, b: StatsBlock, what: string): void {
  const scale = Math.max(Math.abs(b.min ?? 0), Math.abs(b.max ?? 0), 1e-300);
  for (const k of ['count', 'min', 'max', 'zeros', 'sparsity', 'nan', 'inf', 'p1', 'p50', 'p99', 'histogram'] as const) {
    assert.deepStrictEqual(a[k], b[k], `${what}: ${k}`);
  }
  for (const [k, tol] of [['mean', 1e-12 * scale], ['std', 1e-10 * scale], ['l2', 1e-10 * (b.l2 ?? 0)], ['kurtosis', 1e-6 * (b.kurtosis ?? 0)]] as const) {
    const x = a[k], y = b[k];
    assert.ok(x === y || (x !== null && y !== null && Math.abs(x - y) <= tol), `${what}: ${k} ${x} vs ${y}`);
  }
}

function sameStats(fast: ModelStats, plain: ModelStats): void {
  assert.equal(fast.tensors.length, plain.tensors.length);
  fast.tensors.forEach((t: TensorStats, i) => {
    const p = plain.tensors[i];
    assert.deepStrictEqual({ ...t, channels: undefined, ...zeroSums }, { ...p, channels: undefined, ...zeroSums }, t.name);
    sameBlock(t, p, t.name);
    assert.equal(!!t.channels, !!p.channels, `${t.name}: channels`);
    if (t.channels && p.channels) {
      const { minNorm, medianNorm, ...rest } = t.channels;
      const { minNorm: pm, medianNorm: pmed, ...prest } = p.channels;
      assert.deepStrictEqual(rest, prest, `${t.name}: channels`);
      assert.ok(Math.abs(minNorm - pm) <= 1e-10 * pm && Math.abs(medianNorm - pmed) <= 1e-10 * pmed, `${t.name}: norms ${minNorm}/${medianNorm} vs ${pm}/${pmed}`);
    }
  });
  fast.groups.forEach((g, i) => sameBlock(g, plain.groups[i], `group ${g.name}`));
  sameBlock(fast.model, plain.model, 'model');
  assert.deepStrictEqual(fast.findings.map((f) => f.message), plain.findings.map((f) => f.message));
}
const zeroSums = { mean: 0, std: 0, l2: 0, kurtosis: 0 };

/** Every tensor of the model goes through the kernel (none falls back to the JS path unnoticed). */
async function allTakenByKernel(path: string, except: string[]): Promise<void> {
  const kernel = ScanKernel.create()!;
  const m = await openModel(path);
  try {
    for (const c of await weightContexts(m)) {
      const acc = new Accumulator(kernel);
      acc.reset(channelPlan(c.tensor, c.channelAxis));
      assert.equal(await kernel.scan(c.tensor, acc, { quantization: c.quantization }), !except.includes(c.tensor.name), c.tensor.name);
    }
  } finally {
    await m.dispose?.();
  }
}

async function compare(path: string): Promise<void> {
  const m = await openModel(path);
  try {
    sameStats(await computeModelStats(m), await computeModelStats(m, { kernel: false }));
  } finally {
    await m.dispose?.();
  }
}

test('the WebAssembly scan compiles here (Node has WebAssembly SIMD) and its committed module is fresh', () => {
  assert.ok(ScanKernel.create(), 'no kernel');
  execFileSync(process.execPath, [join(__dirname, '../../scripts/build-wasm.mjs'), '--check'], { stdio: 'pipe' });
});

test('SafeTensors float32/float16/bfloat16: the kernel gives the JS path\'s statistics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-stats-kernel-'));
  try {
    const zerosFirst = f32Values(1000, 5, { nonNegative: true });
    zerosFirst[3] = -0; zerosFirst[7] = 0; // min is the first zero met: -0
    const halfZeros = halfPatterns(300 * 300, 6, false, { nonNegative: true });
    halfZeros[0] = 0x8000; halfZeros[5] = 0;
    const nanOnly = new Uint16Array(70000).fill(0x7e00);
    nanOnly[9] = 0xfc00;
    const path = join(dir, 'm.safetensors');
    safetensors(path, [
      { name: 'a.f32_rows', dtype: 'F32', shape: [300, 4001], bytes: bytesOf(f32Values(300 * 4001, 1, { specials: true })) },
      { name: 'a.f32_flat', dtype: 'F32', shape: [70001], bytes: bytesOf(f32Values(70001, 2)) },
      { name: 'a.f32_zero_first', dtype: 'F32', shape: [10, 100], bytes: bytesOf(zerosFirst) },
      { name: 'b.f16_rows', dtype: 'F16', shape: [1100, 1001], bytes: bytesOf(halfPatterns(1100 * 1001, 3, false, { specials: true })) },
      { name: 'b.f16_plain', dtype: 'F16', shape: [1100, 1001], bytes: bytesOf(halfPatterns(1100 * 1001, 4, false)) },
      { name: 'b.f16_zero_first', dtype: 'F16', shape: [300, 300], bytes: bytesOf(halfZeros) },
      { name: 'b.f16_flat', dtype: 'F16', shape: [99999], bytes: bytesOf(halfPatterns(99999, 7, false, { specials: true })) },
      { name: 'b.f16_nan', dtype: 'F16', shape: [70000], bytes: bytesOf(nanOnly) },
      { name: 'b.f16_small', dtype: 'F16', shape: [100, 50], bytes: bytesOf(halfPatterns(5000, 8, false, { specials: true })) },
      { name: 'c.bf16_rows', dtype: 'BF16', shape: [700, 1503], bytes: bytesOf(halfPatterns(700 * 1503, 9, true, { specials: true })) },
      { name: 'c.bf16_flat', dtype: 'BF16', shape: [100000], bytes: bytesOf(halfPatterns(100000, 10, true, { specials: true })) },
    ]);
    await allTakenByKernel(path, ['b.f16_small']);
    await compare(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GGUF Q8_0/Q4_0 (SIMD dequantization), Q4_K (JS dequantization) and plain types: the kernel gives the JS path\'s statistics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-stats-kernel-'));
  try {
    const path = join(dir, 'm.gguf');
    gguf(path, [
      { name: 'blk.0.q8', type: 8, dims: [1024, 1100], bytes: blocks((1024 * 1100) / 32, 34, [0], 11) },
      { name: 'blk.0.q4', type: 2, dims: [512, 300], bytes: blocks((512 * 300) / 32, 18, [0], 12) },
      // Finite scales (some ±0 and subnormal): counted per (scale, code) in the kernel's rows.
      { name: 'blk.2.q8_finite', type: 8, dims: [1024, 600], bytes: blocks((1024 * 600) / 32, 34, [0], 17, true) },
      { name: 'blk.2.q4_finite', type: 2, dims: [2048, 300], bytes: blocks((2048 * 300) / 32, 18, [0], 18, true) },
      { name: 'blk.2.q4_flat', type: 2, dims: [2457600], bytes: blocks(2457600 / 32, 18, [0], 19, true) },
      { name: 'blk.2.q8_nonneg', type: 8, dims: [256, 64], bytes: nonNegativeQ8(256 * 64 / 32, 20) },
      // One row of 1.2M elements: the block kernel sees it in pieces of at most CHUNK_ELEMENTS.
      { name: 'blk.0.q8_flat', type: 8, dims: [1228800], bytes: blocks(1228800 / 32, 34, [0], 16) },
      { name: 'blk.0.q4k', type: 12, dims: [256, 64], bytes: blocks(64, 144, [0, 2], 13) },
      { name: 'blk.1.f16', type: 1, dims: [1000, 100], bytes: bytesOf(halfPatterns(100000, 14, false, { specials: true })) },
      { name: 'blk.1.f32', type: 0, dims: [1000, 70], bytes: bytesOf(f32Values(70000, 15, { specials: true })) },
    ]);
    await allTakenByKernel(path, []);
    await compare(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ONNX MatMul weights (channels last: per-column norms) go through the kernel and give the JS path\'s statistics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-stats-kernel-'));
  try {
    const path = writeModel(dir, 'model.onnx', new OnnxBuilder()
      .input('x', 'float32', [1, 301])
      .initializer('W', 'float32', [301, 3001], f32Values(301 * 3001, 21, { specials: true }))
      .initializer('V', 'float32', [3001, 300], f32Values(3001 * 300, 22))
      .initializer('U', 'float16', [300, 300], f32Values(300 * 300, 23))
      .node('MatMul', ['x', 'W'], ['h'])
      .node('MatMul', ['h', 'V'], ['y'])
      .node('MatMul', ['y', 'U'], ['z'])
      .output('z', 'float32', [1, 300]));
    // float16 with channels last stays on the JS path (its patterns are counted without their positions).
    await allTakenByKernel(path, ['U']);
    await compare(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
