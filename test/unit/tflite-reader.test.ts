// The TFLite reader on files written by flatc (test/fixtures/tflite/make.py) against the truth numpy computed from
// the same arrays: the bundled CLI's inspect/stats, and the exact (raw and dequantized) histograms of the Weights tab.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { tfliteReader } from '../../src/formats/tflite/reader';
import { builtinOpType } from '../../src/formats/tflite/ops';
import { BuiltinOperator } from '../../src/formats/tflite/schema/tflite_generated';
import { exactHistograms } from '../../src/stats';
import { buildCli, removeBuild } from '../support/build-engine';

const dir = join(__dirname, '../fixtures/tflite');

interface Hist { edges: number[]; counts: number[]; nearEdge: number[] }
interface TruthWeight {
  name: string; dtype: string; shape: number[]; count: number; min: number; max: number; mean: number; zeros: number;
  histogram: Hist; quantization?: { kind: 'affine'; scale: number[]; zeroPoint: number[]; axis?: number };
  raw?: { min: number; max: number; histogram: Hist };
}
interface Truth {
  format: string; nodeCount: number; ops: string[]; parameterCount: number; weightCount: number;
  inputs: unknown[]; outputs: unknown[]; tensors: { name: string; dtype: string; shape: number[] }[];
  metadata: Record<string, string>; weights: TruthWeight[];
}
const truthOf = (name: string): Truth => JSON.parse(readFileSync(join(dir, `${name}.truth.json`), 'utf8')) as Truth;

// The external-buffer file holds the float model's bytes after its flatbuffer: same truth.
const files = [
  { file: 'cnn_float.tflite', truth: 'cnn_float' },
  { file: 'cnn_int8.tflite', truth: 'cnn_int8' },
  { file: 'cnn_float_external.tflite', truth: 'cnn_float' },
];

let cli: string;
before(async () => { cli = await buildCli(); });
after(() => removeBuild(cli));
const runCli = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });

for (const { file, truth: t } of files) {
  test(`inspect --json on ${file} equals its truth`, () => {
    const truth = truthOf(t);
    const r = runCli('inspect', join(dir, file), '--json');
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(s.format, 'tflite');
    assert.equal(s.nodeCount, truth.nodeCount);
    // The truth counts every tensor with a buffer; Flatten's int32 target shape is a graph constant, counted apart.
    const constant = (s.otherTensors as { constant: { count: number; elements: number } }).constant;
    assert.deepEqual([constant.count, constant.elements], [1, 2]);
    assert.equal(s.parameterCount, truth.parameterCount - constant.elements);
    assert.equal(s.weightCount, truth.weightCount - constant.count);
    assert.deepEqual(s.inputs, truth.inputs);
    assert.deepEqual(s.outputs, truth.outputs);
    const counts: Record<string, number> = {};
    for (const op of truth.ops) counts[op] = (counts[op] ?? 0) + 1;
    assert.deepEqual(s.opTypeCounts, counts);
    const meta = s.metadata as Record<string, string>;
    for (const [k, v] of Object.entries(truth.metadata)) assert.equal(meta[k], v, k);
    assert.deepEqual(s.warnings, []);
  });

  test(`stats --json on ${file}: dequantized statistics equal numpy's`, () => {
    const truth = truthOf(t);
    const r = runCli('stats', join(dir, file), '--json', '--bins', '16');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tensors: Record<string, unknown>[] };
    assert.equal(out.tensors.length, truth.weights.length);
    for (const w of truth.weights) {
      const s = out.tensors.find((x) => x.name === w.name);
      assert.ok(s, `${w.name} missing`);
      // Quantized weights are shown as real values (float32) stored as integers.
      assert.equal(s.dtype, w.quantization ? 'float32' : w.dtype, w.name);
      if (w.quantization) assert.equal(s.storedDType, w.dtype);
      assert.deepEqual(s.shape, w.shape);
      assert.equal(s.count, w.count);
      assert.equal(s.min, w.min, `${w.name} min`);
      assert.equal(s.max, w.max, `${w.name} max`);
      assert.ok(Math.abs((s.mean as number) - w.mean) <= 1e-12 * Math.max(1, Math.abs(w.mean)), `${w.name} mean`);
      assert.equal(s.zeros, w.zeros);
      const h = s.histogram as { edges: number[]; counts: number[] };
      assert.deepEqual(h.edges, w.histogram.edges, `${w.name} edges`);
      assert.equal(h.counts.reduce((a, b) => a + b, 0), w.count);
      // The display histogram comes from fine bins: only values within one of an edge may sit in the next bin.
      h.counts.forEach((c, i) => {
        const slack = w.histogram.nearEdge[i] + w.histogram.nearEdge[i + 1];
        assert.ok(Math.abs(c - w.histogram.counts[i]) <= slack, `${w.name} bin ${i}: ${c} vs ${w.histogram.counts[i]}`);
      });
    }
  });

  test(`exact histograms on ${file}: dequantized by default, stored integers with raw, both equal numpy's`, async () => {
    const truth = truthOf(t);
    const model = await openModel(join(dir, file));
    try {
      for (const w of truth.weights) {
        const [real] = await exactHistograms(model, { tensors: [w.name], bins: 16, symmetric: false, raw: false });
        assert.deepEqual(real.histogram.edges, w.histogram.edges, `${w.name} edges`);
        assert.deepEqual(real.histogram.counts, w.histogram.counts, `${w.name} counts`);
        const [raw] = await exactHistograms(model, { tensors: [w.name], bins: 16, symmetric: false, raw: true });
        const want = w.raw ?? w; // an unquantized weight's stored values are its real values
        assert.deepEqual(raw.histogram.edges, want.histogram.edges, `${w.name} raw edges`);
        assert.deepEqual(raw.histogram.counts, want.histogram.counts, `${w.name} raw counts`);
      }
    } finally {
      await model.dispose?.();
    }
  });

  test(`${file}: tensors, quantization and lazy weights as written`, async () => {
    const truth = truthOf(t);
    const model = await openModel(join(dir, file));
    try {
      for (const tt of truth.tensors) {
        const v = model.graph.values.get(tt.name);
        assert.ok(v, `${tt.name} missing`);
        assert.equal(v.dtype, tt.dtype, tt.name);
      }
      for (const w of truth.weights) {
        const tensor = model.graph.initializers.find((x) => x.name === w.name);
        assert.ok(tensor, w.name);
        assert.deepEqual(tensor.shape, w.shape);
        assert.equal(tensor.problem, undefined);
        assert.deepEqual(tensor.quantization, w.quantization);
        assert.equal(tensor.location, file.includes('external') ? 'external' : 'inline');
      }
      assert.deepEqual(model.graph.nodes.map((n) => n.opType), truth.ops);
    } finally {
      await model.dispose?.();
    }
  });
}

test('node attributes come from the builtin options flatc wrote', async () => {
  const model = await openModel(join(dir, 'cnn_float.tflite'));
  try {
    const attrs = (op: string) => Object.fromEntries(model.graph.nodes.find((n) => n.opType === op)!.attributes.map((a) => [a.name, a.value.value]));
    assert.deepEqual(attrs('Conv2D'), { padding: 'SAME', stride_w: 1, stride_h: 1, dilation_w_factor: 1, dilation_h_factor: 1, fused_activation_function: 'RELU' });
    assert.deepEqual(attrs('MaxPool2D'), { padding: 'VALID', stride_w: 2, stride_h: 2, filter_width: 2, filter_height: 2, fused_activation_function: 'NONE' });
    assert.deepEqual(attrs('Reshape'), { new_shape: [1, 64] });
    // Nodes are named after their first output and grouped by its scope.
    const conv = model.graph.nodes[0];
    assert.equal(conv.name, 'sequential/conv2d/Relu');
    assert.equal(conv.scope, 'sequential/conv2d');
  } finally {
    await model.dispose?.();
  }
});

test('builtin op types are PascalCase and distinct for every BuiltinOperator', () => {
  const codes = Object.values(BuiltinOperator).filter((v): v is number => typeof v === 'number');
  assert.ok(codes.length >= 210);
  const names = codes.map(builtinOpType);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n, /^[A-Z][A-Za-z0-9]*$/);
  assert.equal(builtinOpType(BuiltinOperator.CONV_2D), 'Conv2D');
  assert.equal(builtinOpType(BuiltinOperator.BATCH_TO_SPACE_ND), 'BatchToSpaceND');
  assert.equal(builtinOpType(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM), 'UnidirectionalSequenceLSTM');
  assert.equal(builtinOpType(1000), 'Builtin1000');
});

test('match: by extension, or by the TFL3 identifier at bytes 4-8 whatever the name', () => {
  const head = readFileSync(join(dir, 'cnn_float.tflite')).subarray(0, 4096);
  assert.equal(tfliteReader.match('x.bin', head), true);
  assert.equal(tfliteReader.match('x.TFLITE', new Uint8Array(8)), true);
  assert.equal(tfliteReader.match('x.bin', new Uint8Array(8)), false);
});

test('a buffer stored past the flatbuffer (offset/size) reads the same bytes as the in-flatbuffer copy', async () => {
  const model = await openModel(join(dir, 'cnn_float_external.tflite'));
  try {
    const w = model.graph.initializers.find((x) => x.name === 'sequential/dense/MatMul')!;
    assert.equal(w.data!.byteLength, 640 * 4);
    const bytes = await w.data!.read(0, 8);
    const expected = readFileSync(join(dir, 'cnn_float.tflite'));
    // The same float32 values are in the in-flatbuffer file; find them there independently.
    assert.ok(expected.includes(Buffer.from(bytes)), 'external weight bytes equal the in-flatbuffer copy');
  } finally {
    await model.dispose?.();
  }
});
