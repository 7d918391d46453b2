// Cross-format compare: an ONNX export against the SafeTensors checkpoint it came from (PyTorch layout: Linear
// weights [out, in], where the exported MatMul holds [in, out]). Names map, kernels compare through the transpose,
// and only the weight changed in the checkpoint shows a change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { compareJson, compareModels } from '../../src/compare/compare-models';
import { safetensorsBytes } from '../support/safetensors-writer';
import { mlpLayers, writeMlp, type MlpLayer } from './compare-fixtures';

/** [in, out] → [out, in], as torch.nn.Linear stores it. */
function transposed(l: MlpLayer): Float32Array {
  const out = new Float32Array(l.inDim * l.outDim);
  for (let i = 0; i < l.inDim; i++) for (let o = 0; o < l.outDim; o++) out[o * l.inDim + i] = l.weight[i * l.outDim + o];
  return out;
}

const bytes = (a: Float32Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

test('ONNX export vs its SafeTensors source: every tensor matched by name, kernels through the transpose, only the changed one differs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-compare-st-'));
  try {
    const layers = mlpLayers([6, 5, 3], 7);
    const onnxPath = writeMlp(dir, 'export.onnx', layers);
    const fc2 = transposed(layers[1]);
    fc2[4] += 0.25; // the checkpoint moved on after the export
    const st = join(dir, 'model.safetensors');
    writeFileSync(st, safetensorsBytes([
      { name: 'fc1.weight', dtype: 'F32', shape: [layers[0].outDim, layers[0].inDim], bytes: bytes(transposed(layers[0])) },
      { name: 'fc1.bias', dtype: 'F32', shape: [layers[0].outDim], bytes: bytes(layers[0].bias) },
      { name: 'fc2.weight', dtype: 'F32', shape: [layers[1].outDim, layers[1].inDim], bytes: bytes(fc2) },
      { name: 'fc2.bias', dtype: 'F32', shape: [layers[1].outDim], bytes: bytes(layers[1].bias) },
    ], { format: 'pt' }));
    const [a, b] = [await openModel(onnxPath), await openModel(st)];
    try {
      const j = compareJson(await compareModels(a, b, { outputs: false }));
      assert.deepEqual(j.unmatched, { a: [], b: [] });
      const by = new Map(j.tensors.map((t) => [t.name, t]));
      assert.deepEqual([...by.keys()].sort(), ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
      for (const name of ['fc1.weight', 'fc1.bias', 'fc2.bias']) assert.equal(by.get(name)!.relChange, 0, name);
      assert.ok(by.get('fc1.weight')!.transposed, 'the [in, out] kernel was compared with the [out, in] one through the transpose');
      const changed = by.get('fc2.weight')!;
      assert.ok(Math.abs(changed.maxAbsDiff! - 0.25) < 1e-6, String(changed.maxAbsDiff));
      const norm = Math.hypot(...layers[1].weight);
      assert.ok(Math.abs(changed.relChange! - 0.25 / norm) < 1e-6, `${changed.relChange} vs ${0.25 / norm}`);
    } finally {
      await a.dispose?.();
      await b.dispose?.();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
