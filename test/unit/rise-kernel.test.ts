// The WebAssembly SIMD kernel that draws RISE masks and builds their samples must draw what the plain JS path draws
// and write what it writes (to float32 rounding), for every layout it accepts, and step aside for the ones it does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RiseMasks, rise } from '../../src/explain/rise';
import type { StreamScorer } from '../../src/explain/scoring';
import { RiseMixer } from '../../src/explain/kernels/rise-mix';
import { inputLayout, writeMixedFill } from '../../src/explain/layout';
import { Mulberry32, rng } from '../../src/runtime/synthesize';

/**
 * The kernel draws and mixes each mask; the JS path (RiseMasks.draw + render + writeMixedFill) does the same from a
 * generator with the same seed. Every mask must be the same draw (shift, and the sample that shows the field), and
 * every sample the same to float32 rounding, whether the kernel copies it out or writes it straight into its batch
 * buffer.
 */
function compare(shape: number[], grid: number, fill: number, seed = 7, keep = 0.5): { worst: number; mixer: RiseMixer } {
  const lay = inputLayout(shape);
  const H = lay.height!;
  const W = lay.width!;
  const next = rng(seed);
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 0.5);
  const kernelMasks = new RiseMasks(new Mulberry32(11), grid, keep, H, W);
  const jsMasks = new RiseMasks(new Mulberry32(11), grid, keep, H, W);
  const mixer = RiseMixer.take(kernelMasks, x, Math.fround(fill), lay, 3);
  assert.ok(mixer, `the kernel takes ${shape}`);
  const batch = mixer.batchBuffer(3 * x.length);
  const field = new Float32Array(jsMasks.fieldSize);
  const mask = new Float32Array(H * W);
  const want = new Float32Array(x.length);
  const copied = new Float32Array(x.length);
  let worst = 0;
  for (let k = 0; k < 40; k++) {
    const shift = jsMasks.draw(field);
    jsMasks.render(field, shift, mask);
    writeMixedFill(want, x, Math.fround(fill), mask, lay);
    // Even masks go through the copy, odd ones straight into a batch slot.
    const got = k % 2 ? batch.subarray((k % 3) * x.length, (k % 3 + 1) * x.length) : copied;
    assert.equal(mixer.sample(got, k % 3), shift, `${shape} mask ${k}: shift`);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  assert.equal(kernelMasks.random.state, jsMasks.random.state, 'the generator continues from the same state');
  mixer.release();
  return { worst, mixer };
}

test('RISE kernel: same samples as the JS path (NCHW with 3 channels, 1 channel, NHWC with 1, 3 and 4 channels, odd plane sizes)', () => {
  // 3×5×12: planes of 60 floats, not a whole number of the kernel's 16-float steps (its tail loop runs). NHWC with 3
  // and 4 channels: interleaved per pixel (RGB 4 pixels a step, RGBA one value at a time).
  for (const [shape, grid, fill] of [[[1, 3, 64, 64], 6, 0], [[1, 1, 32, 32], 16, 0.25], [[1, 28, 28, 1], 7, -1], [[3, 40, 24], 5, 0.5], [[1, 3, 5, 12], 3, 0.1], [[1, 20, 16, 3], 4, 0.2], [[1, 12, 8, 4], 3, -0.5]] as const) {
    const { worst } = compare([...shape], grid, fill);
    assert.ok(worst < 1e-5, `${shape} grid ${grid}: max difference ${worst}`);
  }
});

test('RISE kernel: the same draws for any keep probability (0, 1, and ones that are not a power of two)', () => {
  for (const keep of [0, 1, 0.3, 0.7, 1 / 3, 0.999999]) {
    const { worst } = compare([1, 1, 16, 16], 4, 0, 7, keep);
    assert.ok(worst < 1e-5, `keep ${keep}: max difference ${worst}`);
  }
});

test('RISE kernel: a released mixer is reused for the same geometry, with the new input', () => {
  const first = compare([1, 3, 32, 32], 4, 0.5, 1);
  const again = compare([1, 3, 32, 32], 4, 0.5, 2); // another x: stale x − fill would show here
  assert.equal(again.mixer, first.mixer, 'pooled instance reused');
  assert.ok(again.worst < 1e-5, `reused mixer: max difference ${again.worst}`);
  const other = compare([1, 3, 32, 32], 8, 0.5, 3); // another grid: tables differ, so a new mixer
  assert.notEqual(other.mixer, again.mixer);
  assert.ok(other.worst < 1e-5, `new geometry: max difference ${other.worst}`);
});

test('RISE maps: the kernel path (float32 sums in the kernel) equals the JS path, also with scores far from 0', async () => {
  for (const [shape, grid, offset] of [[[1, 3, 64, 64], 6, 0], [[1, 1, 32, 32], 16, 1000], [[1, 3, 5, 12], 3, -50], [[1, 16, 12, 3], 4, 5]] as const) {
    const lay = inputLayout([...shape]);
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const next = rng(4);
    const x = Float32Array.from({ length: n }, () => next() * 2 - 1);
    const w = Float32Array.from({ length: n }, () => next() * 2 - 1);
    // A linear "model" scored through a batch scorer like the real one (one buffer, slots reused).
    const batch = 16;
    const scorer: StreamScorer = async (count, write, onScore, buffer) => {
      const buf = buffer ?? new Float32Array(batch * n);
      for (let i = 0; i < count; i += batch) {
        const m = Math.min(batch, count - i);
        for (let k = 0; k < m; k++) write(i + k, buf.subarray(k * n, (k + 1) * n));
        for (let k = 0; k < m; k++) {
          let s = offset;
          for (let j = 0; j < n; j++) s += w[j] * buf[k * n + j];
          onScore(i + k, s);
        }
      }
    };
    const o = { masks: 300, grid, keep: 0.5, fill: 0, seed: 9, batch };
    const js = await rise(scorer, x, lay, { ...o, kernel: false });
    const kernel = await rise(scorer, x, lay, o);
    const scale = Math.max(...js.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(kernel[i] - js[i]) / scale);
    assert.ok(scale > 0 && worst < 1e-4, `${shape} grid ${grid} offset ${offset}: relative difference ${worst}`);
  }
});

test('RISE: when the kernel cannot get memory for the batch (over 4 GiB here), the plain sampler takes over with the same map', async () => {
  const lay = inputLayout([1, 1, 64, 64]);
  const x = Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i));
  const scratch = new Float32Array(4096);
  // A scorer that writes every sample into one small buffer, whatever the batch says.
  const scorer: StreamScorer = async (count, write, onScore) => {
    for (let k = 0; k < count; k++) {
      write(k, scratch);
      onScore(k, scratch[100] + scratch[2000]);
    }
  };
  const o = { masks: 40, grid: 6, keep: 0.5, fill: 0, seed: 3, batch: 300_000 }; // 300,000 × 4,096 floats: 4.9 GB
  const fallback = await rise(scorer, x, lay, o);
  const plain = await rise(scorer, x, lay, { ...o, kernel: false });
  assert.deepEqual(Array.from(fallback), Array.from(plain));
  assert.ok(plain.some((v) => v !== 0));
});

test('RISE kernel: rows that are not whole 4-float vectors, and non-images, stay on the JS path', () => {
  const masks = (H: number, W: number) => new RiseMasks(new Mulberry32(1), 4, 0.5, H, W);
  assert.equal(RiseMixer.take(masks(30, 30), new Float32Array(30 * 30 * 3), 0, inputLayout([1, 30, 30, 3]), 4), undefined);
  assert.equal(RiseMixer.take(masks(30, 30), new Float32Array(30 * 30), 0, inputLayout([1, 1, 30, 30]), 4), undefined);
  assert.equal(RiseMixer.take(masks(1, 64), new Float32Array(64), 0, inputLayout([1, 64]), 4), undefined);
});

test('the committed kernel binary is what rise-mix.wat compiles to', () => {
  // Exits 1 and names the file when the generated module is stale.
  execFileSync(process.execPath, [join(__dirname, '../../scripts/build-wasm.mjs'), '--check'], { stdio: 'pipe' });
});
