import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type { DType } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import { ModelFolder } from '../../formats/contained-path';
import { ShardGroup } from '../../formats/tfjs/shards';
import type { NdArray } from '../../formats/arrays/ndarray';
import { numberAt } from '../../formats/arrays/ndarray';
import type { SkippedProvider } from '../../protocol/run';
import type { IoInfo, LoadOptions, RuntimeSession } from '../session';
import { oneLine } from '../session';
import { activate, selectTfjsBackend } from './backend';

interface ModelJson {
  format?: string;
  modelTopology?: { node?: unknown; class_name?: unknown; model_config?: unknown; config?: unknown };
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  [k: string]: unknown;
}

/**
 * An IOHandler over our own file reads, so weights come from the shards next to model.json on disk. Shards are found
 * by the reader's ShardGroup: the same folder rule (a path that leaves the folder refuses the model before any
 * shard is read) and the same names as the Overview shows.
 */
async function loadArtifacts(path: string): Promise<{ artifacts: tf.io.ModelArtifacts; kind: 'layers' | 'graph' }> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as ModelJson;
  } catch (e) {
    throw new ModelError(path, `is not a readable TF.js model.json (${oneLine(e, 160)})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) throw new ModelError(path, 'has no modelTopology');
  const kind = json.format === 'graph-model' || json.modelTopology.node !== undefined ? 'graph' : 'layers';
  const groups = json.weightsManifest ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))) {
    throw new ModelError(path, 'weightsManifest needs groups with a "paths" list and a "weights" list');
  }
  // Every group's paths are checked before the first shard byte is read.
  const folder = new ModelFolder(path);
  const shardGroups: ShardGroup[] = [];
  for (const group of groups) {
    const shards = await ShardGroup.resolve(path, group.paths, folder);
    shardGroups.push(shards);
    if (shards.stopProblem) throw new ModelError(path, shards.stopProblem);
  }
  const specs: tf.io.WeightsManifestEntry[] = groups.flatMap((g) => g.weights);
  const total = shardGroups.reduce((n, g) => n + g.readableBytes, 0);
  const weightData = new Uint8Array(total);
  let o = 0;
  try {
    for (const g of shardGroups) {
      weightData.set(await g.read(0, g.readableBytes), o);
      o += g.readableBytes;
    }
  } finally {
    await Promise.all(shardGroups.map((g) => g.close()));
  }
  const artifacts: tf.io.ModelArtifacts = {
    ...(json as tf.io.ModelArtifacts),
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData: weightData.buffer,
  };
  return { artifacts, kind };
}

function dtypeOf(d: string | undefined): DType {
  return d === 'float32' || d === 'int32' || d === 'bool' || d === 'string' || d === 'complex64' ? d : 'float32';
}

export function toTf(a: NdArray, want: DType): tf.Tensor {
  if (Array.isArray(a.data)) return tf.tensor(a.data as string[], a.shape, 'string');
  const dtype = want === 'int32' || want === 'bool' ? want : 'float32';
  // tfjs holds float32/int32/bool only: other element types are converted (int64 ids, float64 files).
  let data: Float32Array | Int32Array | Uint8Array;
  if (dtype === 'float32') data = a.data instanceof Float32Array ? a.data : Float32Array.from({ length: a.data.length }, (_, i) => numberAt(a, i));
  else if (dtype === 'int32') data = a.data instanceof Int32Array ? a.data : Int32Array.from({ length: a.data.length }, (_, i) => numberAt(a, i));
  else data = Uint8Array.from({ length: a.data.length }, (_, i) => (numberAt(a, i) ? 1 : 0));
  return tf.tensor(data, a.shape, dtype);
}

export async function fromTf(t: tf.Tensor): Promise<NdArray> {
  const data = await t.data();
  const dtype = dtypeOf(t.dtype);
  return { dtype, shape: [...t.shape], data: Array.isArray(data) ? (data as unknown as string[]) : (data as Float32Array | Int32Array | Uint8Array) };
}

class TfjsSession implements RuntimeSession {
  readonly placement = undefined;
  constructor(
    readonly model: tf.LayersModel | tf.GraphModel,
    readonly provider: string,
    readonly skipped: SkippedProvider[],
    readonly loadMs: number,
    readonly inputs: IoInfo[],
    readonly outputs: IoInfo[],
  ) {}

  async run(feeds: Map<string, NdArray>): Promise<Map<string, NdArray>> {
    await activate(this.provider);
    const ins: tf.Tensor[] = this.inputs.map((i) => {
      const a = feeds.get(i.name);
      if (!a) throw new Error(`missing input ${i.name}`);
      return toTf(a, i.dtype);
    });
    let outs: tf.Tensor[];
    try {
      if (this.model instanceof tf.GraphModel) {
        const named: Record<string, tf.Tensor> = {};
        this.inputs.forEach((info, k) => (named[info.name] = ins[k]));
        const r = await this.model.executeAsync(named, this.outputs.map((o) => o.name));
        outs = Array.isArray(r) ? r : [r];
      } else {
        const r = this.model.predict(ins.length === 1 ? ins[0] : ins);
        outs = Array.isArray(r) ? r : [r];
      }
      const result = new Map<string, NdArray>();
      for (let k = 0; k < outs.length; k++) result.set(this.outputs[k]?.name ?? `output_${k}`, await fromTf(outs[k]));
      return result;
    } finally {
      tf.dispose(ins);
      tf.dispose(outs!);
    }
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}

const dims = (shape: readonly (number | null)[] | undefined) => shape?.map((d) => (d === null || d < 0 ? null : d));

/** Loads a TF.js Layers or Graph model.json on the first TF.js backend that initialises. */
export async function loadTfjs(path: string, opts: LoadOptions = {}): Promise<RuntimeSession> {
  const { provider, skipped } = await selectTfjsBackend(opts.providers);
  const t0 = performance.now();
  const { artifacts, kind } = await loadArtifacts(path);
  const handler: tf.io.IOHandler = { load: async () => artifacts };
  try {
    if (kind === 'graph') {
      const m = await tf.loadGraphModel(handler);
      const inputs = m.inputs.map((i) => ({ name: i.name, dtype: dtypeOf(i.dtype), shape: dims(i.shape) }));
      const outputs = m.outputs.map((o) => ({ name: o.name, dtype: dtypeOf(o.dtype), shape: dims(o.shape) }));
      return new TfjsSession(m, provider, skipped, performance.now() - t0, inputs, outputs);
    }
    const m = await tf.loadLayersModel(handler);
    // Layer names (inputNames/outputNames) are the ones in model.json; symbolic tensor names get "_1" suffixes when a
    // model with the same names was loaded before in this process.
    const inputs = m.inputs.map((i, k) => ({ name: m.inputNames[k] ?? i.name, dtype: dtypeOf(i.dtype), shape: dims(i.shape) }));
    const outputs = m.outputs.map((o, k) => ({ name: m.outputNames[k] ?? o.name, dtype: dtypeOf(o.dtype), shape: dims(o.shape) }));
    return new TfjsSession(m, provider, skipped, performance.now() - t0, inputs, outputs);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be loaded by TF.js (${oneLine(e)})`);
  }
}

/** The tfjs model object itself, on the selected backend (saliency takes gradients through it; inference uses loadTfjs). */
export async function loadTfjsModel(path: string, opts: LoadOptions = {}): Promise<tf.LayersModel | tf.GraphModel> {
  await selectTfjsBackend(opts.providers);
  const { artifacts, kind } = await loadArtifacts(path);
  const handler: tf.io.IOHandler = { load: async () => artifacts };
  try {
    return kind === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (e) {
    throw new ModelError(path, `cannot be loaded by TF.js (${oneLine(e)})`);
  }
}
