import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeModelStats, exactHistograms } from '../../src/stats';
import { direct, f32, irModel, node, normals, tensor } from './stats-fixtures';

const close = (a: number | null, b: number, rel = 1e-9, what = '') =>
  assert.ok(a !== null && Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('float32 tensor: stats match a direct two-pass computation, percentiles within a fine bin', async () => {
  // Offset mean makes a naive sum-of-squares std lose digits; 3 chunks exercise the merge across reads.
  const v = normals(2_500_000, 7, 0.02, 0.5);
  v[10] = 0; v[20] = -0;
  const m = await computeModelStats(irModel([f32('w', [2500, 1000], v)]));
  const t = m.tensors[0];
  const d = direct(v);
  assert.equal(t.count, v.length);
  assert.ok(t.min === d.min && t.min === 0, `min ${t.min}`); // the planted zeros are the minimum (0 and -0 compare equal)
  assert.equal(t.max, d.max);
  close(t.mean, d.mean, 1e-12, 'mean');
  close(t.std, d.std, 1e-9, 'std');
  close(t.l2, d.l2, 1e-9, 'l2');
  assert.equal(t.zeros, 2);
  assert.equal(t.sparsity, 2 / v.length);
  assert.equal(t.nan + t.inf, 0);
  const sorted = Float64Array.from(v).sort();
  for (const [p, got] of [[0.01, t.p1], [0.5, t.p50], [0.99, t.p99]] as const) {
    const exact = sorted[Math.round(p * (v.length - 1))];
    assert.ok(Math.abs(got! - exact) <= Math.abs(exact) * 2 ** -7, `p${p * 100}: ${got} vs ${exact}`);
  }
  // Kurtosis comes from fine-bin midpoints: compare with the exact m4/m2² (≈ 3 + the two planted far zeros).
  let m2 = 0, m4 = 0;
  for (const x of v) { const e = (x - d.mean) ** 2; m2 += e; m4 += e * e; }
  const kExact = (m4 / v.length) / (m2 / v.length) ** 2;
  assert.ok(Math.abs(t.kurtosis! - kExact) < 0.03 * kExact, `kurtosis ${t.kurtosis} vs ${kExact}`);
  // Display histogram: integer counts summing to n; each bin off by at most the fine-bin mass straddling its edges.
  const h = t.histogram;
  assert.equal(h.counts.length, 64);
  assert.equal(h.counts.reduce((a, b) => a + b, 0), v.length);
  const directCounts = new Array(64).fill(0);
  for (const x of v) {
    let k = 0;
    while (k < 63 && x >= h.edges[k + 1]) k++;
    directCounts[k]++;
  }
  const straddle = (e: number) => v.filter((x) => Math.abs(x - e) <= Math.abs(e) * 2 ** -7).length;
  for (let i = 0; i < 64; i++) {
    assert.ok(Math.abs(h.counts[i] - directCounts[i]) <= straddle(h.edges[i]) + straddle(h.edges[i + 1]) + 1, `bin ${i}: ${h.counts[i]} vs ${directCounts[i]}`);
  }
});

test('planted NaN and Inf are counted and reported as errors; stats cover finite values only', async () => {
  const v = normals(1000, 3);
  v[5] = NaN; v[700] = Infinity; v[701] = -Infinity;
  const m = await computeModelStats(irModel([f32('bad', [1000], v)]));
  const t = m.tensors[0];
  assert.equal(t.nan, 1);
  assert.equal(t.inf, 2);
  const d = direct(v);
  assert.equal(t.min, d.min);
  assert.equal(t.max, d.max);
  close(t.std, d.std, 1e-9, 'std');
  assert.equal(t.histogram.counts.reduce((a, b) => a + b, 0), 997);
  const kinds = m.findings.filter((f) => f.tensor === 'bad').map((f) => `${f.severity}:${f.kind}`);
  assert.deepEqual(kinds.sort(), ['error:inf', 'error:nan']);
});

test('a dead conv filter (axis 0) and a dead matmul column (last axis) are found and linked to their node', async () => {
  const conv = normals(8 * 3 * 3 * 3, 11, 0.1);
  conv.fill(0, 5 * 27, 6 * 27);
  const mm = normals(16 * 8, 12, 0.1);
  for (let r = 0; r < 16; r++) mm[r * 8 + 3] = 0;
  const model = irModel(
    [f32('conv.w', [8, 3, 3, 3], conv), f32('fc.w', [16, 8], mm)],
    [node('n_conv', 'Conv', ['x', 'conv.w'], 'block1'), node('n_mm', 'MatMul', ['n_conv:out', 'fc.w'], 'head')],
  );
  const m = await computeModelStats(model);
  const convStats = m.tensors.find((t) => t.name === 'conv.w')!;
  assert.deepEqual(convStats.channels?.dead, [5]);
  assert.equal(convStats.channels?.axis, 0);
  const mmStats = m.tensors.find((t) => t.name === 'fc.w')!;
  assert.deepEqual(mmStats.channels?.dead, [3]);
  assert.equal(mmStats.channels?.axis, 1);
  const dead = m.findings.filter((f) => f.kind === 'dead-channels');
  assert.deepEqual(dead.map((f) => [f.tensor, f.nodeIds]).sort(), [['conv.w', ['n_conv']], ['fc.w', ['n_mm']]]);
  assert.deepEqual(m.groups.map((g) => g.name).sort(), ['block1', 'head']);
});

test('duplicated tensors are found by bytes; a permutation with equal statistics is not', async () => {
  const a = normals(4096, 5);
  const perm = Float32Array.from(a).reverse();
  const m = await computeModelStats(irModel([f32('a', [64, 64], a), f32('a_copy', [64, 64], Float32Array.from(a)), f32('a_rev', [64, 64], perm)]));
  const dups = m.findings.filter((f) => f.kind === 'duplicate');
  assert.deepEqual(dups.map((f) => f.tensor).sort(), ['a', 'a_copy']);
});

test('all-zero matrix is a warning, zero bias is info, exploding and outlier tensors are flagged', async () => {
  const big = normals(1000, 9);
  big[3] = 5e4;
  const spiky = normals(10000, 10, 0.01);
  spiky[42] = 3;
  const m = await computeModelStats(irModel([
    f32('zero.w', [4, 4], new Float32Array(16)), f32('zero.b', [4], new Float32Array(4)), f32('big', [1000], big), f32('spiky', [10000], spiky),
    ...Array.from({ length: 5 }, (_, i) => f32(`ok${i}`, [1000], normals(1000, 20 + i))),
  ]));
  const f = (name: string) => m.findings.filter((x) => x.tensor === name).map((x) => `${x.severity}:${x.kind}`);
  assert.deepEqual(f('zero.w'), ['warning:all-zero']);
  assert.deepEqual(f('zero.b'), ['info:all-zero']);
  assert.ok(f('big').includes('warning:exploding'));
  assert.ok(f('spiky').includes('info:outlier'));
  assert.deepEqual(f('ok0'), []);
  assert.equal(m.findings[0].severity, 'warning');
});

test('ONNX int8 weight behind DequantizeLinear: real values, and the raw integer histogram on request', async () => {
  const q = Int8Array.from([-128, -1, 0, 5, 127, 5]);
  const model = irModel([
    tensor('wq', 'int8', [6], new Uint8Array(q.buffer)),
    f32('wq_scale', [], [0.5]),
    tensor('wq_zp', 'int8', [], Uint8Array.from([2])),
  ], [node('dq', 'DequantizeLinear', ['wq', 'wq_scale', 'wq_zp'], 'q')]);
  const m = await computeModelStats(model);
  const t = m.tensors.find((x) => x.name === 'wq')!;
  const real = Array.from(q, (x) => (x - 2) * 0.5);
  const d = direct(real);
  assert.equal(t.storedDType, 'int8');
  assert.match(t.quantization ?? '', /scale=0.5 zero point=2 \(DequantizeLinear\)/);
  assert.equal(t.min, -65);
  assert.equal(t.max, 62.5);
  close(t.mean, d.mean, 1e-12, 'mean');
  close(t.std, d.std, 1e-12, 'std');
  assert.equal(t.zeros, 0);
  const [raw] = await exactHistograms(model, { tensors: ['wq'], bins: 255, symmetric: false, raw: true });
  assert.equal(raw.histogram.edges[0], -128);
  assert.equal(raw.histogram.edges[255], 127);
  assert.equal(raw.histogram.counts[0], 1); // -128
  assert.equal(raw.histogram.counts[255 - 1], 1); // 127 lands in the last bin
  assert.equal(raw.histogram.counts[Math.floor(((5 + 128) * 255) / 255)], 2);
});

test('TF.js uint8 quantized weight (min/scale) and float16/bfloat16/int types go through the same pass', async () => {
  const m = await computeModelStats(irModel([
    tensor('tq', 'float32', [3], Uint8Array.from([0, 4, 255]), { storedDType: 'uint8', quantization: { kind: 'tfjs', dtype: 'uint8', scale: 0.5, min: -1 } }),
    tensor('h', 'float16', [4], new Uint8Array(Uint16Array.from([0x3c00, 0x0001, 0x7c00, 0x7e00]).buffer)),
    tensor('i64', 'int64', [3], new Uint8Array(BigInt64Array.from([-(2n ** 40n), 0n, 2n ** 40n]).buffer)),
  ], [], 'tfjs-layers'));
  const [tq, h, i64] = m.tensors;
  assert.deepEqual([tq.min, tq.max, tq.storedDType], [-1, 126.5, 'uint8']);
  close(tq.mean, (-1 + 1 + 126.5) / 3, 1e-12, 'tq mean');
  assert.deepEqual([h.min, h.max, h.nan, h.inf], [2 ** -24, 1, 1, 1]);
  assert.deepEqual([i64.min, i64.max, i64.mean, i64.zeros], [-(2 ** 40), 2 ** 40, 0, 1]);
});

test('whole-model aggregate equals a direct computation over all weights; exact shared-edge histograms', async () => {
  const a = normals(3000, 1, 1, 2);
  const b = normals(5000, 2, 3, -1);
  const model = irModel([f32('a', [3000], a), f32('b', [5000], b)]);
  const m = await computeModelStats(model);
  const d = direct([...a, ...b]);
  close(m.model.mean, d.mean, 1e-12, 'model mean');
  close(m.model.std, d.std, 1e-9, 'model std');
  assert.equal(m.model.count, 8000);
  const hs = await exactHistograms(model, { tensors: ['a', 'b'], bins: 50, symmetric: true, raw: false });
  const edges = hs[0].histogram.edges;
  assert.deepEqual(hs[1].histogram.edges, edges);
  assert.equal(edges[0], -edges[50]);
  for (const [i, vals] of [a, b].entries()) {
    const want = new Array(50).fill(0);
    for (const x of vals) {
      let k = 0;
      while (k < 49 && x >= edges[k + 1]) k++;
      want[k]++;
    }
    assert.deepEqual(hs[i].histogram.counts, want);
  }
});

test('an aborted signal cancels the pass', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(computeModelStats(irModel([f32('w', [10], normals(10))]), { signal: ac.signal }), /cancelled/);
});

test('a median among exact zeros reads 0, not a value spread over the zero bin (4.6e-41)', async () => {
  const v = normals(10_000, 5);
  for (let i = 0; i < 6000; i++) v[i] = i % 2 ? 0 : -0;
  const t = (await computeModelStats(irModel([f32('sparse', [10_000], v)]))).tensors[0];
  assert.equal(t.zeros, 6000);
  assert.equal(t.p50, 0);
  assert.ok(t.p1! < 0 && t.p99! > 0);
});
