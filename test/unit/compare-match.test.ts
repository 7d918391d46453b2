// Node and weight matching on real model pairs: a renamed layer, a changed attribute and an inserted node, and an
// ONNX export against the TF.js model it came from (names mapped across formats, kernels compared through the
// transpose, outputs on the same input).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import type { Model } from '../../src/model/graph';
import { compareModels } from '../../src/compare/compare-models';
import { matchNodes } from '../../src/compare/match-nodes';
import { normalizeName } from '../../src/compare/match-tensors';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { saveLayersModel, tf, tfReady } from '../support/tfjs-fixtures';
import { mlpLayers, writeMlp } from './compare-fixtures';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-compare-m-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function both<T>(pa: string, pb: string, f: (a: Model, b: Model) => Promise<T>): Promise<T> {
  const a = await openModel(pa);
  const b = await openModel(pb);
  try {
    return await f(a, b);
  } finally {
    await a.dispose?.();
    await b.dispose?.();
  }
}

test('normalized names: TF/Keras and PyTorch spellings meet', () => {
  assert.equal(normalizeName('dense/kernel:0'), 'dense.weight');
  assert.equal(normalizeName('/encoder/layer.0/attn/bias'), 'encoder.layer.0.attn.bias');
  assert.equal(normalizeName('bn/moving_variance'), 'bn.running_var');
  assert.equal(normalizeName('layer.0.weight'), 'layer.0.weight');
});

test('a renamed layer still matches: nodes by structure, weights by shape and order, nothing added or removed', async () => {
  const layers = mlpLayers([6, 9, 9, 4], 5);
  const pa = writeMlp(dir, 'orig.onnx', layers);
  const pb = writeMlp(dir, 'renamed.onnx', layers, { rename: (n) => (n === 'fc2' ? 'middle' : n) });
  await both(pa, pb, async (a, b) => {
    const r = await compareModels(a, b, { outputs: false });
    assert.deepEqual([r.nodes.added, r.nodes.removed, r.nodes.changed], [[], [], []]);
    const renamed = r.nodes.pairs.filter((p) => p.a.startsWith('/fc2/'));
    assert.deepEqual(renamed.map((p) => [p.a, p.b, p.by]), [
      ['/fc2/MatMul', '/middle/MatMul', 'structure'], ['/fc2/Add', '/middle/Add', 'structure'], ['/fc2/Relu', '/middle/Relu', 'structure'],
    ]);
    assert.equal(r.nodes.pairs.filter((p) => p.by === 'name').length, a.graph.nodes.length - 3);
    assert.deepEqual(r.weights.unmatched, { a: [], b: [] });
    const t = r.weights.tensors.find((x) => x.name === 'fc2.weight')!;
    assert.equal(t.b, 'middle.weight');
    assert.equal(t.matchedBy, 'shape-order');
    assert.equal(t.relChange, 0);
  });
});

test('a changed attribute and an inserted node are reported as such; unrelated neighbours stay matched', async () => {
  const make = (alpha: number, extraRelu: boolean) => {
    const b = new OnnxBuilder('g').input('x', 'float32', [1, 3])
      .initializer('W', 'float32', [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])
      .initializer('C', 'float32', [3], [0, 0, 0])
      .node('Gemm', ['x', 'W', 'C'], ['g'], { alpha }, { name: 'gemm' });
    if (extraRelu) b.node('Relu', ['g'], ['r'], {}, { name: 'inserted' }).node('Sigmoid', ['r'], ['y'], {}, { name: 'act' });
    else b.node('Sigmoid', ['g'], ['y'], {}, { name: 'act' });
    return b.output('y', 'float32', [1, 3]);
  };
  const pa = writeModel(dir, 'alpha1.onnx', make(1, false));
  const pb = writeModel(dir, 'alpha2.onnx', make(0.5, true));
  await both(pa, pb, async (a, b) => {
    const d = matchNodes(a.graph, b.graph);
    assert.deepEqual(d.added, ['inserted']);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.changed.map((c) => [c.a, c.what]), [['gemm', ['attribute alpha']]]);
    // The overlay ids point at the real nodes.
    assert.deepEqual(d.addedIds, [b.graph.nodes.find((n) => n.name === 'inserted')!.id]);
  });
});

/** A TF.js Sequential MLP and the same network as ONNX the way PyTorch exports it. */
async function tfjsAndOnnx(style: 'gemm' | 'matmul'): Promise<{ tfjs: string; onnx: string; kernels: Float32Array[] }> {
  await tfReady();
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', name: 'fc1', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }),
      tf.layers.dense({ units: 3, name: 'fc2', kernelInitializer: tf.initializers.randomNormal({ seed: 3 }), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) }),
    ],
  });
  const tdir = join(dir, `tfjs-${style}`);
  mkdirSync(tdir, { recursive: true });
  const { jsonPath } = await saveLayersModel(m, tdir);
  const w = m.getWeights().map((t) => t.dataSync() as Float32Array);
  m.dispose();
  const [k1, b1, k2, b2] = w;
  const transpose = (k: Float32Array, rows: number, cols: number) => Float32Array.from({ length: k.length }, (_, i) => k[(i % rows) * cols + Math.floor(i / rows)]);
  const b = new OnnxBuilder('torch').input('x', 'float32', [1, 4]).output('y', 'float32', [1, 3]);
  if (style === 'gemm') {
    // torch.nn.Linear weights are [out, in]; the exporter writes Gemm(transB=1) with the parameter names.
    b.initializer('fc1.weight', 'float32', [8, 4], transpose(k1, 4, 8)).initializer('fc1.bias', 'float32', [8], b1)
      .initializer('fc2.weight', 'float32', [3, 8], transpose(k2, 8, 3)).initializer('fc2.bias', 'float32', [3], b2)
      .node('Gemm', ['x', 'fc1.weight', 'fc1.bias'], ['h'], { transB: 1 }, { name: '/fc1/Gemm' })
      .node('Relu', ['h'], ['r'], {}, { name: '/Relu' })
      .node('Gemm', ['r', 'fc2.weight', 'fc2.bias'], ['y'], { transB: 1 }, { name: '/fc2/Gemm' });
  } else {
    // MatMul form: the exporter stores W^T ([in, out]) under an invented name and names only the nodes.
    b.initializer('onnx::MatMul_11', 'float32', [4, 8], k1).initializer('fc1.bias', 'float32', [8], b1)
      .initializer('onnx::MatMul_12', 'float32', [8, 3], k2).initializer('fc2.bias', 'float32', [3], b2)
      .node('MatMul', ['x', 'onnx::MatMul_11'], ['m1'], {}, { name: '/fc1/MatMul' })
      .node('Add', ['fc1.bias', 'm1'], ['h'], {}, { name: '/fc1/Add' })
      .node('Relu', ['h'], ['r'], {}, { name: '/Relu' })
      .node('MatMul', ['r', 'onnx::MatMul_12'], ['m2'], {}, { name: '/fc2/MatMul' })
      .node('Add', ['fc2.bias', 'm2'], ['y'], {}, { name: '/fc2/Add' });
  }
  return { tfjs: jsonPath, onnx: writeModel(dir, `torch-${style}.onnx`, b), kernels: [k1, k2] };
}

test('ONNX (Gemm, [out, in] weights) vs its TF.js source: every weight mapped, kernels compared through the transpose', async () => {
  const { tfjs, onnx } = await tfjsAndOnnx('gemm');
  await both(onnx, tfjs, async (a, b) => {
    const r = await compareModels(a, b);
    assert.deepEqual(r.weights.unmatched, { a: [], b: [] });
    const got = Object.fromEntries(r.weights.tensors.map((t) => [t.name, [t.b, t.matchedBy, t.transposed ?? null, t.relChange, t.maxAbsDiff]]));
    assert.deepEqual(got, {
      'fc1.weight': ['fc1/kernel', 'normalized', [1, 0], 0, 0],
      'fc1.bias': ['fc1/bias', 'normalized', null, 0, 0],
      'fc2.weight': ['fc2/kernel', 'normalized', [1, 0], 0, 0],
      'fc2.bias': ['fc2/bias', 'normalized', null, 0, 0],
    });
    // Same weights, same input: the outputs agree to float32 rounding, top-k included.
    const o = r.outputs!.outputs[0];
    assert.ok(o.maxAbsDiff !== null && o.maxAbsDiff < 1e-5, JSON.stringify(o));
    assert.equal(o.topkAgreement, 1);
    assert.equal(r.outputs!.divergenceSkipped, 'the divergence search needs two ONNX models');
  });
});

test('ONNX with exporter names (onnx::MatMul_N) vs TF.js: named from the reading node, no transpose needed', async () => {
  const { tfjs, onnx } = await tfjsAndOnnx('matmul');
  await both(onnx, tfjs, async (a, b) => {
    const r = await compareModels(a, b, { outputs: false });
    assert.deepEqual(r.weights.unmatched, { a: [], b: [] });
    const got = Object.fromEntries(r.weights.tensors.map((t) => [t.name, [t.b, t.matchedBy, t.transposed ?? null, t.relChange]]));
    assert.deepEqual(got, {
      'onnx::MatMul_11': ['fc1/kernel', 'consumer', null, 0],
      'fc1.bias': ['fc1/bias', 'normalized', null, 0],
      'onnx::MatMul_12': ['fc2/kernel', 'consumer', null, 0],
      'fc2.bias': ['fc2/bias', 'normalized', null, 0],
    });
    assert.deepEqual(r.weights.scopes.map((s) => s.scope).sort(), ['fc1', 'fc2']);
  });
});

test('a long renamed chain matches by structure in full (each match anchors the next)', async () => {
  const chain = (prefix: string) => {
    const b = new OnnxBuilder('chain').input('x', 'float32', [1, 4]).output('v150', 'float32', [1, 4]);
    for (let i = 0; i < 150; i++) b.node(i % 2 ? 'Relu' : 'Sigmoid', [i ? `v${i}` : 'x'], [`v${i + 1}`], {}, { name: `/${prefix}/op${i}` });
    return b;
  };
  const pa = writeModel(dir, 'chain-a.onnx', chain('encoder'));
  const pb = writeModel(dir, 'chain-b.onnx', chain('trunk'));
  await both(pa, pb, async (a, b) => {
    const d = matchNodes(a.graph, b.graph);
    assert.deepEqual([d.added, d.removed, d.changed], [[], [], []]);
    assert.equal(d.matchedBy.structure, 150);
    assert.ok(d.pairs.every((p) => p.b === p.a.replace('/encoder/', '/trunk/')));
  });
});

test('a Conv kernel (ONNX [out, in, kh, kw]) vs its Keras source ([kh, kw, in, out]) compares through the permutation', async () => {
  await tfReady();
  const m = tf.sequential({ layers: [tf.layers.conv2d({ filters: 5, kernelSize: 3, inputShape: [6, 6, 2], name: 'conv', kernelInitializer: tf.initializers.randomNormal({ seed: 9 }) })] });
  const tdir = join(dir, 'tfjs-conv');
  mkdirSync(tdir, { recursive: true });
  const { jsonPath } = await saveLayersModel(m, tdir);
  const [k, bias] = m.getWeights().map((t) => t.dataSync() as Float32Array);
  m.dispose();
  // ONNX layout, written element by element from the Keras one: onnx[o][i][y][x] = keras[y][x][i][o].
  const [KH, KW, I, O] = [3, 3, 2, 5];
  const w = new Float32Array(k.length);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let y = 0; y < KH; y++) for (let x = 0; x < KW; x++) {
    w[((o * I + i) * KH + y) * KW + x] = k[((y * KW + x) * I + i) * O + o];
  }
  const moved = Float32Array.from(w);
  moved[7] += 0.5; // one element off, to see the comparison is element-exact through the permutation (A is this file)
  const build = (vals: Float32Array) => new OnnxBuilder('conv').input('x', 'float32', [1, 2, 6, 6]).output('y', 'float32', [1, 5, 4, 4])
    .initializer('conv.weight', 'float32', [O, I, KH, KW], vals).initializer('conv.bias', 'float32', [O], bias)
    .node('Conv', ['x', 'conv.weight', 'conv.bias'], ['y'], {}, { name: '/conv/Conv' });
  for (const [name, vals, rel] of [['same', w, 0], ['moved', moved, Math.abs(moved[7] - w[7]) / Math.hypot(...moved)]] as const) {
    await both(writeModel(dir, `conv-${name}.onnx`, build(vals)), jsonPath, async (a, b) => {
      const r = await compareModels(a, b, { outputs: false });
      const t = r.weights.tensors.find((x) => x.name === 'conv.weight')!;
      assert.deepEqual([t.b, t.matchedBy, t.transposed], ['conv/kernel', 'normalized', [2, 3, 1, 0]]);
      assert.ok(Math.abs(t.relChange! - rel) <= 1e-6 * Math.max(rel, 1e-30), `${name}: ${t.relChange} vs ${rel}`);
      assert.equal(t.maxAbsDiff, name === 'same' ? 0 : Math.abs(moved[7] - w[7]));
    });
  }
});
