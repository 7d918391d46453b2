// `npm run bench -- histogram [model-file]`: the weight-stats pass against one plain min/max loop over the same
// float32 arrays, measured in the same run. Without a model it writes a generated one (20 × 4 M float32 weights,
// each read by a MatMul so the per-column norms are computed too) under .bench/.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { openModel } from '../../src/formats/registry';
import { allWeights, parameterCount } from '../../src/model/walk';
import { computeModelStats } from '../../src/stats';

function generate(file: string): void {
  const tensors = 20;
  const rows = 2048;
  const cols = 2048; // 4 M elements each
  const initializer: onnx.ITensorProto[] = [];
  const node: onnx.INodeProto[] = [];
  let s = 12345;
  for (let t = 0; t < tensors; t++) {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] = ((s / 4294967296) - 0.5) * 0.1;
    }
    initializer.push({ name: `layer${t}.weight`, dims: [rows, cols], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(v.buffer) });
    node.push({ name: `layer${t}/MatMul`, opType: 'MatMul', input: [t === 0 ? 'x' : `h${t - 1}`, `layer${t}.weight`], output: [`h${t}`] });
  }
  const vi = (name: string): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: rows }] } } } });
  const model = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'model-inspector-bench',
    graph: { name: 'bench', node, initializer, input: [vi('x')], output: [vi(`h${tensors - 1}`)] },
  }).finish();
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, model);
}

function plainMinMax(arrays: Float32Array[]): number {
  let mn = Infinity;
  let mx = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
  }
  return mn + mx;
}

export async function run(args: string[]): Promise<void> {
  let file = args[0];
  if (!file) {
    file = join(process.cwd(), '.bench', 'histogram-80m.onnx');
    if (!existsSync(file)) generate(file);
  }
  const model = await openModel(file);
  try {
    const arrays: Float32Array[] = [];
    for (const t of allWeights(model)) {
      if (t.dtype !== 'float32' || !t.data) continue;
      const bytes = await t.data.read(0, t.data.byteLength);
      arrays.push(new Float32Array(Uint8Array.from(bytes).buffer));
    }
    // Warm both paths once (JIT), then take the best of three of each, interleaved so load changes hit both.
    plainMinMax(arrays);
    await computeModelStats(model);
    let plainPassMs = Infinity;
    let statsMs = Infinity;
    let sink = 0;
    for (let r = 0; r < 3; r++) {
      let t0 = performance.now();
      sink += plainMinMax(arrays);
      plainPassMs = Math.min(plainPassMs, performance.now() - t0);
      t0 = performance.now();
      const s = await computeModelStats(model);
      statsMs = Math.min(statsMs, performance.now() - t0);
      sink += s.tensors.length;
    }
    if (Number.isNaN(sink)) console.error('unexpected NaN');
    const round = (x: number) => Math.round(x * 10) / 10;
    console.log(JSON.stringify({ model: file, params: parameterCount(model), statsMs: round(statsMs), plainPassMs: round(plainPassMs), ratio: round((statsMs / plainPassMs) * 100) / 100 }));
  } finally {
    await model.dispose?.();
  }
}
