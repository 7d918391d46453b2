// Node and weight matching on real model pairs: a renamed layer, a changed attribute and an inserted node, and an
// ONNX export against the TF.js model it came from (names mapped across formats, kernels compared through the
// transpose, outputs on the same input).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import type { Model } from '../../src/model/graph';
import { compareModels } from '../../src/compare/compare-models';
import { matchNodes } from '../../src/compare/match-nodes';
import { matchTensors, normalizeName, relation } from '../../src/compare/match-tensors';
import { ggufBytes } from '../support/gguf-writer';
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

test('a renamed layer still matches: nodes through their weights and by structure, weights by shape and order, nothing added or removed', async () => {
  const layers = mlpLayers([6, 9, 9, 4], 5);
  const pa = writeMlp(dir, 'orig.onnx', layers);
  const pb = writeMlp(dir, 'renamed.onnx', layers, { rename: (n) => (n === 'fc2' ? 'middle' : n) });
  await both(pa, pb, async (a, b) => {
    const r = await compareModels(a, b, { outputs: false });
    assert.deepEqual([r.nodes.added, r.nodes.removed, r.nodes.changed], [[], [], []]);
    const renamed = r.nodes.pairs.filter((p) => p.a.startsWith('/fc2/'));
    assert.deepEqual(renamed.map((p) => [p.a, p.b, p.by]), [
      // The weight readers pair through the weights the shape-order pass paired; the Relu by structure after them.
      ['/fc2/MatMul', '/middle/MatMul', 'weights'], ['/fc2/Add', '/middle/Add', 'weights'], ['/fc2/Relu', '/middle/Relu', 'structure'],
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

/** A Keras Conv2D saved as TF.js, and its kernel written out in ONNX's layout ([out, in, kh, kw]). */
async function kerasConv(): Promise<{ jsonPath: string; w: Float32Array; bias: Float32Array; dims: [number, number, number, number] }> {
  await tfReady();
  const m = tf.sequential({ layers: [tf.layers.conv2d({ filters: 5, kernelSize: 3, inputShape: [6, 6, 2], name: 'conv', kernelInitializer: tf.initializers.randomNormal({ seed: 9 }), biasInitializer: tf.initializers.randomNormal({ seed: 10 }) })] });
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
  return { jsonPath, w, bias, dims: [O, I, KH, KW] };
}

const onnxConv = (vals: Float32Array, bias: Float32Array, dims: number[]) => new OnnxBuilder('conv').input('x', 'float32', [1, 2, 6, 6]).output('y', 'float32', [1, 5, 4, 4])
  .initializer('conv.weight', 'float32', dims, vals).initializer('conv.bias', 'float32', [dims[0]], bias)
  .node('Conv', ['x', 'conv.weight', 'conv.bias'], ['y'], {}, { name: '/conv/Conv' });

test('a Conv kernel (ONNX [out, in, kh, kw]) vs its Keras source ([kh, kw, in, out]) compares through the permutation', async () => {
  const { jsonPath, w, bias, dims } = await kerasConv();
  const moved = Float32Array.from(w);
  moved[7] += 0.5; // one element off, to see the comparison is element-exact through the permutation (A is this file)
  const build = (vals: Float32Array) => onnxConv(vals, bias, dims);
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

// The same network in two formats takes its image in two layouts (ONNX NCHW, TF.js NHWC) and names nothing alike: the
// input is laid out for each model, the output compared in A's layout, and the nodes line up through their weights.
test('ONNX Conv (NCHW) vs its TF.js source (NHWC): one input laid out for each, outputs agree, nodes matched by weights', async () => {
  const { jsonPath, w, bias, dims } = await kerasConv();
  await both(writeModel(dir, 'conv-layout.onnx', onnxConv(w, bias, dims)), jsonPath, async (a, b) => {
    const r = await compareModels(a, b);
    assert.equal(r.outputs!.skipped, undefined);
    assert.match(r.outputs!.inputs[0].note ?? '', /the second model takes it laid out as \[1, 6, 6, 2\] \(NHWC\)/);
    const o = r.outputs!.outputs[0];
    assert.equal(o.problem, undefined);
    assert.match(o.layout ?? '', /output is \[1, 4, 4, 5\]/);
    assert.ok(o.maxAbsDiff !== null && o.maxAbsDiff < 1e-4 && o.cosine! > 0.99999, JSON.stringify(o));
    assert.deepEqual(r.nodes.pairs.map((p) => [p.a, p.b, p.by]), [['/conv/Conv', 'conv', 'weights']]);
    assert.deepEqual(r.nodes.changed, [], 'operators and layouts are named differently in each format by design');
  });
});

test('the shapes example as ONNX and as TF.js: every weight-reading node matched through its weights, outputs compared', async () => {
  const ex = join(__dirname, '../../examples/shapes');
  await both(join(ex, 'model.onnx'), join(ex, 'tfjs/model.json'), async (a, b) => {
    const r = await compareModels(a, b);
    assert.equal(r.weights.tensors.length, 8);
    assert.ok(r.weights.tensors.every((t) => t.relChange === 0));
    assert.deepEqual(r.nodes.pairs.map((p) => `${p.a}~${p.b}`), ['/gate/Conv~gate', '/conv1/Conv~conv1', '/conv2/Conv~conv2', '/ink/Conv~ink', '/logits/Gemm~logits']);
    assert.deepEqual(r.nodes.changed, []);
    assert.equal(r.outputs!.skipped, undefined, r.outputs!.skipped);
    assert.deepEqual(r.outputs!.outputs.map((o) => [o.name, o.problem]), [['logits', undefined]]);
  });
});

test('a model whose input has a known size that differs (behind an unknown batch): outputs skipped with the reason, not an error', async () => {
  const mlp = writeMlp(dir, 'mlp5.onnx', mlpLayers([5, 7, 2], 3));
  await both(mlp, join(__dirname, '../../examples/tiny-mlp-tfjs/model.json'), async (a, b) => {
    const r = await compareModels(a, b);
    assert.match(r.outputs!.skipped ?? '', /the second model's input ".*" is \[\?, 4\] but the first model's is \[1, 5\]/);
  });
});

test('a model whose metadata takes the input but whose run refuses it: outputs skipped with the runtime\'s reason, not an error', async () => {
  const mlp = writeMlp(dir, 'mlp4.onnx', mlpLayers([4, 3], 5));
  // Symbolic input dims: nothing to check before running; the MatMul wants 5 features and gets 4.
  const wants5 = writeModel(dir, 'wants5.onnx', new OnnxBuilder('wants5').input('x', 'float32', ['batch', 'k']).output('y', 'float32', ['batch', 3])
    .initializer('w', 'float32', [5, 3], new Float32Array(15).fill(0.5))
    .node('MatMul', ['x', 'w'], ['y'], {}, { name: '/fc/MatMul' }));
  await both(mlp, wants5, async (a, b) => {
    const r = await compareModels(a, b);
    assert.match(r.outputs!.skipped ?? '', /^the second model did not run on the first model's input \(.+\)$/);
    assert.deepEqual(r.outputs!.outputs, []);
  });
});

// A format's weight layout comes from its descriptor (channelAxis): a GGUF matrix is [out, in] (PyTorch's order),
// so against a Keras Dense kernel [in, out] it is compared through the transpose even when it is square.
test('a square GGUF weight pairs with a TF.js Dense kernel through the transpose (the descriptor says out-first)', async () => {
  await tfReady();
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [3], useBias: false, name: 'dense', kernelInitializer: tf.initializers.randomNormal({ seed: 5 }) })] });
  const tdir = join(dir, 'tfjs-square');
  mkdirSync(tdir, { recursive: true });
  const { jsonPath } = await saveLayersModel(m, tdir);
  const k = m.getWeights()[0].dataSync() as Float32Array;
  m.dispose();
  // GGUF dims are innermost first: [in, out] there is the [out, in] tensor PyTorch wrote; its values are the transpose.
  const w = Float32Array.from({ length: 9 }, (_, i) => k[(i % 3) * 3 + Math.floor(i / 3)]);
  const gguf = join(dir, 'square.gguf');
  writeFileSync(gguf, ggufBytes([['general.architecture', { type: 'string', value: 'test' }]], [{ name: 'dense.weight', dims: [3, 3], type: 0, bytes: new Uint8Array(w.buffer) }]));
  await both(jsonPath, gguf, async (a, b) => {
    const pair = matchTensors(a, b).pairs.find((p) => p.key === 'dense.weight');
    assert.deepEqual(pair?.perm, [1, 0]);
    const r = await compareModels(a, b, { outputs: false });
    const row = r.weights.tensors.find((t) => t.b === 'dense.weight');
    assert.equal(row?.relChange, 0, JSON.stringify(row));
  });
});

test('relation: output-channels-first 4-D weights (OIHW or OHWI) against HWIO resolve by shape, or not at all when both fit', () => {
  const t = (shape: number[]) => ({ name: 'w', shape, elementCount: shape.reduce((x, y) => x * y, 1) }) as unknown as Parameters<typeof relation>[0];
  assert.deepEqual(relation(t([3, 3, 2, 5]), 'hwio', t([5, 3, 3, 2]), 'o…'), [3, 0, 1, 2]); // TFLite OHWI
  assert.deepEqual(relation(t([3, 3, 2, 5]), 'hwio', t([5, 2, 3, 3]), 'o…'), [3, 2, 0, 1]); // PyTorch OIHW
  assert.deepEqual(relation(t([5, 2, 3, 3]), 'o…', t([3, 3, 2, 5]), 'hwio'), [2, 3, 1, 0]);
  assert.equal(relation(t([3, 3, 3, 5]), 'hwio', t([5, 3, 3, 3]), 'o…'), undefined);
});
