import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { openModel } from '../../src/formats/registry';
import type { Model } from '../../src/model/graph';

/**
 * Every ONNX conformance model Debian ships opens through openModel; where onnxruntime can load it, our graph
 * inputs/outputs (names, order, dtypes, static dims) equal what ORT reports. ORT is the reference here because
 * it is what users run the model with.
 */
const ROOT = '/usr/share/libonnx-testdata/data';

function modelFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) modelFiles(p, out);
    else if (e.name === 'model.onnx') out.push(p);
  }
  return out;
}

type Meta = ort.InferenceSession['inputMetadata'][number];

/** How much was actually compared, printed so a silently empty comparison shows up in CI logs. */
const compared = { values: 0, staticDims: 0 };

/** Differences between ORT's metadata and ours for one value; [] when they agree. */
function compareMeta(model: Model, meta: Meta): string[] {
  if (!meta.isTensor) return [];
  compared.values++;
  const v = model.graph.values.get(meta.name);
  const diffs: string[] = [];
  if (v?.dtype !== meta.type) diffs.push(`${meta.name}: dtype ${v?.dtype} vs ORT ${meta.type}`);
  const ours = v?.shape;
  // ORT reports [] both for scalars and for unknown rank; compare dims only where both sides know the rank.
  if (ours && (meta.shape.length > 0 || ours.length === 0)) {
    if (ours.length !== meta.shape.length) diffs.push(`${meta.name}: rank ${ours.length} vs ORT ${meta.shape.length}`);
    else {
      ours.forEach((d, i) => {
        const o = meta.shape[i];
        const oStatic = typeof o === 'number' && o >= 0;
        if (typeof d === 'number' || oStatic) compared.staticDims++;
        if ((typeof d === 'number' || oStatic) && d !== o) diffs.push(`${meta.name}: dim ${i} ${d} vs ORT ${o}`);
      });
    }
  }
  return diffs;
}

test('conformance: every Debian ONNX test model opens and matches onnxruntime', { skip: !existsSync(ROOT) && 'libonnx-testdata not installed' }, async () => {
  const files = modelFiles(ROOT).sort();
  assert.ok(files.length > 1000, `expected ≈1,072 models, found ${files.length}`);
  const openFailures: string[] = [];
  const mismatches: string[] = [];
  let opened = 0;
  let ortLoaded = 0;
  let ortCannotLoad = 0;
  let equal = 0;
  const t0 = Date.now();
  for (const f of files) {
    const rel = f.slice(ROOT.length + 1, -'/model.onnx'.length);
    let model: Model;
    try {
      model = await openModel(f);
      opened++;
    } catch (e) {
      openFailures.push(`${rel}: ${(e as Error).message}`);
      continue;
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(f, { graphOptimizationLevel: 'disabled', logSeverityLevel: 4 });
    } catch {
      ortCannotLoad++;
      await model.dispose?.();
      continue;
    }
    ortLoaded++;
    try {
      const diffs: string[] = [];
      if (JSON.stringify(model.graph.inputs) !== JSON.stringify(session.inputNames)) {
        diffs.push(`inputs ${JSON.stringify(model.graph.inputs)} vs ORT ${JSON.stringify(session.inputNames)}`);
      }
      if (JSON.stringify(model.graph.outputs) !== JSON.stringify(session.outputNames)) {
        diffs.push(`outputs ${JSON.stringify(model.graph.outputs)} vs ORT ${JSON.stringify(session.outputNames)}`);
      }
      for (const meta of [...session.inputMetadata, ...session.outputMetadata]) diffs.push(...compareMeta(model, meta));
      if (diffs.length) mismatches.push(`${rel}: ${diffs.join('; ')}`);
      else equal++;
    } finally {
      await session.release();
      await model.dispose?.();
    }
  }
  console.log(`ONNX conformance: ${files.length} models, ${opened} opened, ${ortLoaded} ORT-loaded, ${ortCannotLoad} ORT cannot load, ` +
    `${equal} metadata-equal, ${mismatches.length} mismatches (${compared.values} tensor values, ${compared.staticDims} static dims compared), ${Date.now() - t0} ms`);
  for (const m of mismatches) console.log(`  mismatch ${m}`);
  for (const m of openFailures) console.log(`  open failure ${m}`);
  assert.deepEqual(openFailures, []);
  assert.deepEqual(mismatches, []);
  assert.ok(ortLoaded > 900, `ORT loaded only ${ortLoaded} models`);
  assert.ok(compared.staticDims > 1000, `only ${compared.staticDims} static dims compared`);
});
