// Sparse TFLite weights (Tensor.sparsity: traversal_order, block_map, DENSE / SPARSE_CSR dim_metadata with Int32,
// Uint16 or Uint8 index vectors) are densified as the schema defines: each file below is written by flatbuffers'
// own builder (the schema's generated code), its sparse form encoded by hand from a dense tensor written out here.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder } from 'flatbuffers';
import * as fb from '../../src/formats/tflite/schema/tflite_generated';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import type { Tensor } from '../../src/model/tensor';
import { computeModelStats } from '../../src/stats';

const tmp = mkdtempSync(join(tmpdir(), 'mi-tflite-sparse-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Dim = { dense: number } | { segments: number[]; indices: number[]; width?: 1 | 2 | 4 };
interface Sparse { order: number[]; blockMap?: number[]; dims: Dim[] }
interface Weight { name: string; type: fb.TensorType; shape: number[]; stored: Uint8Array; sparsity?: Sparse }

const f32 = (v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const i8 = (v: number[]) => new Uint8Array(Int8Array.from(v).buffer);

function indexVector(b: Builder, values: number[], width: 1 | 2 | 4): [fb.SparseIndexVector, number] {
  if (width === 4) return [fb.SparseIndexVector.Int32Vector, fb.Int32Vector.createInt32Vector(b, fb.Int32Vector.createValuesVector(b, values))];
  if (width === 2) return [fb.SparseIndexVector.Uint16Vector, fb.Uint16Vector.createUint16Vector(b, fb.Uint16Vector.createValuesVector(b, values))];
  return [fb.SparseIndexVector.Uint8Vector, fb.Uint8Vector.createUint8Vector(b, fb.Uint8Vector.createValuesVector(b, values))];
}

/** A one-subgraph model: an input activation and the given weights (buffer 0 is the empty sentinel). */
function writeModel(file: string, weights: Weight[]): string {
  const b = new Builder(1024);
  const buffers = [fb.Buffer.createBuffer(b, 0, 0n, 0n)];
  const tensors: number[] = [];
  const tensor = (name: string, type: fb.TensorType, shape: number[], buffer: number, sparsity: number) => {
    const n = b.createString(name);
    const s = fb.Tensor.createShapeVector(b, shape);
    fb.Tensor.startTensor(b);
    fb.Tensor.addShape(b, s);
    fb.Tensor.addType(b, type);
    fb.Tensor.addBuffer(b, buffer);
    fb.Tensor.addName(b, n);
    if (sparsity) fb.Tensor.addSparsity(b, sparsity);
    return fb.Tensor.endTensor(b);
  };
  tensors.push(tensor('x', fb.TensorType.FLOAT32, [1, 4], 0, 0));
  for (const w of weights) {
    b.startVector(1, w.stored.length, 16);
    for (let i = w.stored.length - 1; i >= 0; i--) b.addInt8(w.stored[i]);
    buffers.push(fb.Buffer.createBuffer(b, b.endVector(), 0n, 0n));
    let sparsity = 0;
    if (w.sparsity) {
      const dims = w.sparsity.dims.map((d) => {
        if ('dense' in d) return fb.DimensionMetadata.createDimensionMetadata(b, fb.DimensionType.DENSE, d.dense, 0, 0, 0, 0);
        const [st, so] = indexVector(b, d.segments, d.width ?? 4);
        const [it, io] = indexVector(b, d.indices, d.width ?? 4);
        return fb.DimensionMetadata.createDimensionMetadata(b, fb.DimensionType.SPARSE_CSR, 0, st, so, it, io);
      });
      const order = fb.SparsityParameters.createTraversalOrderVector(b, w.sparsity.order);
      const blockMap = w.sparsity.blockMap ? fb.SparsityParameters.createBlockMapVector(b, w.sparsity.blockMap) : 0;
      const meta = fb.SparsityParameters.createDimMetadataVector(b, dims);
      sparsity = fb.SparsityParameters.createSparsityParameters(b, order, blockMap, meta);
    }
    tensors.push(tensor(w.name, w.type, w.shape, buffers.length - 1, sparsity));
  }
  const sg = fb.SubGraph.createSubGraph(b, fb.SubGraph.createTensorsVector(b, tensors), fb.SubGraph.createInputsVector(b, [0]),
    fb.SubGraph.createOutputsVector(b, [0]), fb.SubGraph.createOperatorsVector(b, []), b.createString('main'));
  const model = fb.Model.createModel(b, 3, fb.Model.createOperatorCodesVector(b, []), fb.Model.createSubgraphsVector(b, [sg]),
    b.createString('sparse test'), fb.Model.createBuffersVector(b, buffers), 0, 0, 0);
  fb.Model.finishModelBuffer(b, model);
  const path = join(tmp, file);
  writeFileSync(path, b.asUint8Array());
  return path;
}

async function values(t: Tensor): Promise<number[]> {
  assert.equal(t.problem, undefined, `${t.name}: ${t.problem}`);
  assert.ok(t.data, `${t.name} has data`);
  const b = await t.data.read(0, t.data.byteLength);
  const copy = b.slice().buffer;
  return Array.from(t.dtype === 'int8' ? new Int8Array(copy) : new Float32Array(copy));
}

// The dense tensors and their sparse encodings, worked out by hand from the schema's definition.
const cases: { label: string; dense: number[]; weight: Weight }[] = [
  {
    label: 'CSR rows (DENSE, SPARSE_CSR), Int32 indices',
    dense: [0, 3, 0, -2, /**/ 0, 0, 0, 0, /**/ 1.5, 0, 0, 4],
    weight: { name: 'csr', type: fb.TensorType.FLOAT32, shape: [3, 4], stored: f32([3, -2, 1.5, 4]),
      sparsity: { order: [0, 1], dims: [{ dense: 3 }, { segments: [0, 2, 2, 4], indices: [1, 3, 0, 3] }] } },
  },
  {
    label: 'CSC (traversal_order [1, 0]), Uint8 indices',
    dense: [0, 3, 0, -2, /**/ 0, 0, 0, 0, /**/ 1.5, 0, 0, 4],
    weight: { name: 'csc', type: fb.TensorType.FLOAT32, shape: [3, 4], stored: f32([1.5, 3, -2, 4]),
      sparsity: { order: [1, 0], dims: [{ dense: 4 }, { segments: [0, 1, 2, 2, 4], indices: [2, 0, 0, 2], width: 1 }] } },
  },
  {
    label: '2x2 blocks (block_map [0, 1]), int8, Uint16 indices',
    dense: [0, 0, 7, -1, /**/ 0, 0, 2, 0, /**/ -3, 0, 0, 0, /**/ 5, 6, 0, 0],
    weight: { name: 'blocks', type: fb.TensorType.INT8, shape: [4, 4], stored: i8([7, -1, 2, 0, -3, 0, 5, 6]),
      sparsity: { order: [0, 1, 2, 3], blockMap: [0, 1], dims: [{ dense: 2 }, { segments: [0, 1, 2], indices: [1, 0], width: 2 }, { dense: 2 }, { dense: 2 }] } },
  },
  {
    label: '1x2 blocks along the last dimension only (block_map [1])',
    dense: [0, 0, 8, 9, /**/ 1, 2, 0, 0],
    weight: { name: 'row_blocks', type: fb.TensorType.FLOAT32, shape: [2, 4], stored: f32([8, 9, 1, 2]),
      sparsity: { order: [0, 1, 2], blockMap: [1], dims: [{ dense: 2 }, { segments: [0, 1, 2], indices: [1, 0] }, { dense: 2 }] } },
  },
  {
    label: 'a CSR level under two DENSE levels (segments per (i, j) pair)',
    dense: [1, 0, 2, /**/ 0, 0, 0, /**/ 0, 3, 0, /**/ 4, 5, 6],
    weight: { name: 'rank3', type: fb.TensorType.FLOAT32, shape: [2, 2, 3], stored: f32([1, 2, 3, 4, 5, 6]),
      sparsity: { order: [0, 1, 2], dims: [{ dense: 2 }, { dense: 2 }, { segments: [0, 2, 2, 3, 6], indices: [0, 2, 1, 0, 1, 2] }] } },
  },
];

test('sparse weights read as their dense tensors', async () => {
  const path = writeModel('sparse.tflite', cases.map((c) => c.weight));
  const model = await openModel(path);
  try {
    for (const c of cases) {
      const t = model.graph.initializers.find((x) => x.name === c.weight.name)!;
      assert.deepEqual(t.shape, c.weight.shape, c.label);
      assert.equal(t.location, 'sparse', c.label);
      assert.deepEqual(await values(t), c.dense, c.label);
    }
  } finally {
    await model.dispose?.();
  }
});

test('stats of a sparse weight are those of its dense tensor (zeros included)', async () => {
  const path = writeModel('stats.tflite', [cases[0].weight]);
  const model = await openModel(path);
  try {
    const stats = await computeModelStats(model);
    const s = stats.tensors.find((t) => t.name === 'csr')!;
    assert.equal(s.problem, undefined);
    const dense = cases[0].dense;
    assert.equal(s.count, dense.length);
    assert.equal(s.min, Math.min(...dense));
    assert.equal(s.max, Math.max(...dense));
    assert.equal(s.zeros, dense.filter((v) => v === 0).length);
    assert.ok(Math.abs(s.mean! - dense.reduce((a, v) => a + v, 0) / dense.length) < 1e-12);
  } finally {
    await model.dispose?.();
  }
});

test('sparsity parameters that do not fit the tensor: a problem on the tensor, or a <file>: <problem> error on reading', async () => {
  const base = cases[0].weight;
  const path = writeModel('bad.tflite', [
    { ...base, name: 'bad_order', sparsity: { ...base.sparsity!, order: [0, 0] } },
    { ...base, name: 'bad_block', shape: [3, 4], sparsity: { order: [0, 1, 2], blockMap: [0], dims: [{ dense: 2 }, { dense: 4 }, { dense: 2 }] } },
    { ...base, name: 'bad_index', sparsity: { order: [0, 1], dims: [{ dense: 3 }, { segments: [0, 2, 2, 4], indices: [1, 9, 0, 3] }] } },
    { ...base, name: 'extra_value', stored: f32([3, -2, 1.5, 4, 7]) },
  ]);
  const model = await openModel(path);
  try {
    const t = (name: string) => model.graph.initializers.find((x) => x.name === name)!;
    assert.match(t('bad_order').problem ?? '', /^sparse tensor: traversal_order \[0, 0\] is not an order of dimensions 0\.\.1$/);
    assert.equal(t('bad_order').data, undefined);
    assert.match(t('bad_block').problem ?? '', /^sparse tensor: block size 2 does not divide dimension 0 \(3\)$/);
    await assert.rejects(t('bad_index').data!.read(0, 4), (e) => e instanceof ModelError && /^bad\.tflite: .*"bad_index"\): sparse tensor level 1 index 9 is outside its 4 positions$/.test(e.message));
    await assert.rejects(t('extra_value').data!.read(0, 4), (e) => e instanceof ModelError && /^bad\.tflite: .*"extra_value"\): sparse tensor addresses 4 values but its buffer holds 5$/.test(e.message));
  } finally {
    await model.dispose?.();
  }
});
