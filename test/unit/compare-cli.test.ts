// `model-inspector compare` as users run it (the bundled CLI in a child process): the JSON contract, an fp32 model
// against its fp16 conversion (divergence reported, exit 0, at the node an independent reference run finds), two
// unrelated models (a clear report, no crash), bad files (exit 1) and bad command lines (exit 2).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildCli, removeBuild } from '../support/build-engine';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { float16ToNumber } from '../../src/model/float-bits';
import { encodeNpy } from '../../src/formats/arrays/npy';
import { mlpLayers, mlpModel, noise, writeMlp } from './compare-fixtures';

let cli: string;
let dir: string;
before(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'mi-compare-cli-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  removeBuild(cli);
});

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, 'compare', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null);
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
  return r;
};

const EXAMPLE = join(__dirname, '../../examples/tiny-cnn.onnx');

function checkContract(j: Record<string, unknown>, withOutputs: boolean): void {
  const nodes = j.nodes as Record<string, unknown>;
  for (const k of ['added', 'removed', 'changed']) assert.ok(Array.isArray(nodes[k]), `nodes.${k}`);
  for (const c of nodes.changed as Record<string, unknown>[]) {
    assert.equal(typeof c.a, 'string');
    assert.equal(typeof c.b, 'string');
    assert.ok(Array.isArray(c.what));
  }
  assert.ok(Array.isArray(j.tensors));
  for (const t of j.tensors as Record<string, unknown>[]) {
    assert.equal(typeof t.name, 'string');
    for (const k of ['relChange', 'cosine', 'maxAbsDiff']) assert.ok(k in t && (t[k] === null || typeof t[k] === 'number'), k);
  }
  if (withOutputs) {
    assert.ok(Array.isArray(j.outputs));
    for (const o of j.outputs as Record<string, unknown>[]) {
      assert.equal(typeof o.name, 'string');
      for (const k of ['maxAbsDiff', 'cosine', 'topkAgreement']) assert.ok(k in o && (o[k] === null || typeof o[k] === 'number'), k);
    }
  } else assert.equal(j.outputs, undefined);
}

test('compare --json on a model and itself: the contract, nothing differs', () => {
  const r = run(EXAMPLE, EXAMPLE, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  const j = JSON.parse(r.stdout);
  checkContract(j, true);
  assert.deepEqual([j.nodes.added, j.nodes.removed, j.nodes.changed], [[], [], []]);
  assert.deepEqual(j.tensors.map((t: { name: string }) => t.name), ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']);
  for (const t of j.tensors) assert.deepEqual([t.relChange, t.cosine, t.maxAbsDiff], [0, 1, 0]);
  assert.equal(j.outputs.length, 1);
  assert.deepEqual([j.outputs[0].maxAbsDiff, j.outputs[0].cosine, j.outputs[0].topkAgreement], [0, 1, 1]);
  assert.equal(j.divergence, null);
  const noOut = run(EXAMPLE, EXAMPLE, '--json', '--no-outputs');
  assert.equal(noOut.status, 0);
  checkContract(JSON.parse(noOut.stdout), false);
  const text = run(EXAMPLE, EXAMPLE);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /nodes: 6 matched/);
});

test('a fine-tune of a graph that reads its weights through Identity nodes (as PyTorch exports do): the divergence is the first activation, not a weight\'s Identity', () => {
  const w = Array.from({ length: 16 * 16 }, (_, i) => Math.sin(i * 0.37) * 0.3);
  const model = (name: string, scale: number) => writeModel(dir, name, new OnnxBuilder()
    .input('x', 'float32', [1, 16])
    .initializer('W1', 'float32', [16, 16], w.map((v, i) => v * (1 + scale * Math.cos(i))))
    .initializer('W2', 'float32', [16, 16], w)
    .node('Identity', ['W1'], ['w1'], {}, { name: '/w1/Identity' })
    .node('Identity', ['W2'], ['w2'], {}, { name: '/w2/Identity' })
    .node('MatMul', ['x', 'w1'], ['h'], {}, { name: '/fc1/MatMul' })
    .node('Relu', ['h'], ['r'], {}, { name: '/act/Relu' })
    .node('MatMul', ['r', 'w2'], ['y'], {}, { name: '/fc2/MatMul' })
    .output('y', 'float32', [1, 16]));
  const r = run(model('base.onnx', 0), model('tuned.onnx', 0.05), '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.tensors.find((t: { name: string }) => t.name === 'W1').relChange > 1e-3);
  assert.equal(j.divergence?.node, '/fc1/MatMul');
  assert.equal(j.divergence.value, 'h');
});

test('fp32 vs its fp16 conversion: divergence reported (exit 0) at the first node an independent run finds', async () => {
  const layers = mlpLayers([32, 64, 64, 64, 10], 7);
  // fp16 follows fp32 within ~5e-4 through plain layers (onnxruntime's CPU kernels compute fp16 in fp32); the
  // +2049.2/−2049 constants after fc1 are where it cannot (they round to 2050/2048).
  const pa = writeMlp(dir, 'fp32.onnx', layers, { shift: true });
  const pb = writeMlp(dir, 'fp16.onnx', layers, { dtype: 'float16', shift: true });
  const r = run(pa, pb, '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  checkContract(j, true);
  assert.deepEqual([j.nodes.added, j.nodes.removed], [[], []]);
  // Every node with weights changed dtype, nothing else.
  for (const c of j.nodes.changed) assert.ok(c.what.every((w: string) => /^weight \S+ dtype float32 → float16$/.test(w)), c.what.join());
  for (const t of j.tensors) {
    assert.equal(t.dtypeB, 'float16');
    if (t.name.startsWith('shift.')) {
      assert.ok(t.relChange > 1e-4, t.name); // the constants fp16 cannot hold
      continue;
    }
    assert.ok(t.relChange > 0 && t.relChange < 1e-3, `${t.name} ${t.relChange}`); // fp16 rounding: ≤ 2^-11 relative
  }
  const out = j.outputs[0];
  assert.ok(out.maxAbsDiff > 0 && out.cosine < 1 && out.topkAgreement >= 0 && out.topkAgreement <= 1, JSON.stringify(out));
  assert.equal(j.inputs[0].source, 'normal(seed 0)');

  // Reference: the same models with every intermediate as a graph output, run by onnxruntime here, on the same
  // input (the CLI's synthesized normal(seed 0) values, which the test regenerates with its own mulberry32+Box-Muller).
  const refA = writeModel(dir, 'ref32.onnx', mlpModel(layers, { allOutputs: true, shift: true }));
  const refB = writeModel(dir, 'ref16.onnx', mlpModel(layers, { dtype: 'float16', allOutputs: true, shift: true }));
  const x = normalInput(32, 0);
  const sa = await ort.InferenceSession.create(refA);
  const sb = await ort.InferenceSession.create(refB);
  const ya = await sa.run({ x: new ort.Tensor('float32', x, [1, 32]) });
  const half = Uint16Array.from(x, toHalf);
  const yb = await sb.run({ x: new ort.Tensor('float16', half, [1, 32]) });
  let first: { value: string; rel: number } | undefined;
  for (const v of sa.outputNames) {
    if (v === 'y') continue;
    const a = ya[v].data as Float32Array;
    const b = Array.from(yb[v].data as Uint16Array, float16ToNumber);
    let dd = 0, aa = 0;
    for (let i = 0; i < a.length; i++) {
      dd += (a[i] - b[i]) ** 2;
      aa += a[i] ** 2;
    }
    const rel = Math.sqrt(dd / aa);
    if (rel > 1e-3) {
      first = { value: v, rel };
      break;
    }
  }
  const yA = ya.y.data as Float32Array;
  const yB = Array.from(yb.y.data as Uint16Array, float16ToNumber);
  const maxY = Math.max(...Array.from(yA, (v, i) => Math.abs(v - yB[i])));
  assert.ok(Math.abs(out.maxAbsDiff - maxY) <= 1e-6 * maxY, `${out.maxAbsDiff} vs ${maxY}`);
  const top = (v: ArrayLike<number>) => Array.from(v).map((x, i) => [x, i]).sort((p, q) => q[0] - p[0]).slice(0, 5).map((p) => p[1]);
  const ta = top(yA);
  const tb = new Set(top(yB));
  assert.equal(out.topkAgreement, ta.filter((i) => tb.has(i)).length / 5);
  await sa.release();
  await sb.release();
  assert.ok(first, 'the reference finds a divergence');
  assert.ok(j.divergence, 'divergence reported');
  assert.equal(j.divergence.value, first.value);
  assert.equal(j.divergence.node, '/shift/Sub');
  assert.equal(j.divergence.tolerance, 1e-3);
  assert.ok(Math.abs(j.divergence.relError - first.rel) <= 1e-6 * first.rel, `${j.divergence.relError} vs ${first.rel}`);

  // A looser tolerance moves it (or clears it); it is a report either way.
  const loose = JSON.parse(run(pa, pb, '--json', '--tolerance', '10').stdout);
  assert.equal(loose.divergence, null);
  assert.equal(loose.tolerance, 10);
});

test('--input feeds a .npy file to both models (the same values), reported as the input used', () => {
  const npy = join(dir, 'image.npy');
  writeFileSync(npy, encodeNpy({ dtype: 'float32', shape: [1, 1, 8, 8], data: noise(64, 3, 1) }));
  const r = run(EXAMPLE, EXAMPLE, '--json', '--input', `image=${npy}`);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.inputs[0].source, `file:${npy}`);
  assert.deepEqual([j.outputs[0].maxAbsDiff, j.outputs[0].topkAgreement], [0, 1]);
  const bad = run(EXAMPLE, EXAMPLE, '--json', '--input', `nosuch=${npy}`);
  assert.equal(bad.status, 1);
  assert.match(JSON.parse(bad.stdout).error, /^tiny-cnn\.onnx: has no input named "nosuch"/);
});

test('two unrelated models: everything added/removed, weights unmatched, outputs skipped with a reason, exit 0', () => {
  const pm = writeMlp(dir, 'unrelated.onnx', mlpLayers([5, 7, 2], 11));
  const r = run(EXAMPLE, pm, '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.nodes.removed, ['conv', 'relu', 'pool', 'flatten', 'fc', 'softmax']);
  assert.equal(j.nodes.added.length, 6);
  assert.deepEqual(j.nodes.changed, []);
  assert.deepEqual(j.tensors, []);
  assert.deepEqual(j.unmatched.a, ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']);
  assert.deepEqual(j.unmatched.b, ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  assert.equal(j.relChange, null);
  assert.match(j.outputsSkipped, /input "x" is \[1, 5\] but the first model's is \[1, 1, 8, 8\]/);
  const text = run(EXAMPLE, pm);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /6 only in A, 6 only in B/);
  assert.match(text.stdout, /outputs: not compared/);
});

test('the shapes example as ONNX (NCHW) and as TF.js (NHWC): exit 0, the input laid out for each, nodes matched through weights', () => {
  const ex = join(__dirname, '../../examples/shapes');
  const r = run(join(ex, 'model.onnx'), join(ex, 'tfjs/model.json'), '--json');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  checkContract(j, true);
  assert.equal(j.nodes.matched, 5);
  assert.equal(j.nodes.matchedBy.weights, 5);
  assert.equal(j.outputsSkipped, undefined);
  const text = run(join(ex, 'model.onnx'), join(ex, 'tfjs/model.json'));
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /nodes: 5 matched \(5 by weights\)/);
  assert.match(text.stdout, /image \[1, 1, 32, 32\] normal\(seed 0\); the second model takes it laid out as \[1, 32, 32, 1\] \(NHWC\)/);
});

test('bad files exit 1 with {"error": "<file>: <problem>"}; bad command lines exit 2', () => {
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, Buffer.from('this is not a model'));
  for (const args of [[EXAMPLE, junk], [join(dir, 'missing.onnx'), EXAMPLE]]) {
    const r = run(...args, '--json');
    assert.equal(r.status, 1, r.stdout);
    const e = JSON.parse(r.stdout).error as string;
    assert.match(e, /^(junk|missing)\.onnx: /);
    assert.doesNotMatch(e, /internal error/);
  }
  for (const args of [[EXAMPLE], [EXAMPLE, EXAMPLE, EXAMPLE], [EXAMPLE, EXAMPLE, '--tolerance', 'x'], [EXAMPLE, EXAMPLE, '--tolerance', '0'],
    [EXAMPLE, EXAMPLE, '--no-outputs', '--tolerance', '0.1'], [EXAMPLE, EXAMPLE, '--method', 'ig']]) {
    const r = run(...args, '--json');
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.ok(JSON.parse(r.stdout).error);
  }
});

/** The runtime's normal(seed) synthesis, re-derived: mulberry32 uniforms, Box–Muller cos branch (two draws each). */
function normalInput(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float32Array.from({ length: n }, () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  });
}

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  const m = x & 0x7fffff;
  if (e <= 0) return sign; // tiny inputs do not occur here (normal draws)
  // Round to nearest even on the 13 dropped bits.
  let h = sign | (e << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}
