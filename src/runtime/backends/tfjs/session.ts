import * as tf from '@tensorflow/tfjs';
import type { TfjsArtifacts } from '../../../formats/descriptor';
import type { DType } from '../../../model/dtype';
import { ModelError, oneLine } from '../../../model/errors';
import type { NdArray } from '../../../formats/arrays/ndarray';
import { numberAt } from '../../../formats/arrays/ndarray';
import type { SkippedProvider } from '../../../protocol/run';
import type { IoInfo, LoadOptions, RuntimeSession } from '../../session';
import { activate, selectTfjsBackend } from './backend';

/** tfjs' own artifacts object from the plain data the format's reader derived from the opened model. */
function toTfArtifacts(a: TfjsArtifacts): tf.io.ModelArtifacts {
  const out: Record<string, unknown> = { ...a };
  delete out.kind;
  return out as tf.io.ModelArtifacts;
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

/** Loads a TF.js Layers or Graph model (from a model.json or a Keras file: `path` names it in errors) on the first TF.js backend that initialises. */
export async function loadTfjs(path: string, source: TfjsArtifacts, opts: LoadOptions = {}): Promise<RuntimeSession> {
  const { provider, skipped } = await selectTfjsBackend(opts.providers);
  const t0 = performance.now();
  const kind = source.kind;
  const artifacts = toTfArtifacts(source);
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
    // model with the same names was loaded before in this process. A Sequential leaves inputNames/outputNames empty
    // until it is built: name its tensors by the layers that made them, as the reader's IR does.
    const layerName = (t: tf.SymbolicTensor) => t.sourceLayer?.name ?? t.name;
    const inputs = m.inputs.map((i, k) => ({ name: m.inputNames[k] ?? layerName(i), dtype: dtypeOf(i.dtype), shape: dims(i.shape) }));
    const outputs = m.outputs.map((o, k) => ({ name: m.outputNames[k] ?? layerName(o), dtype: dtypeOf(o.dtype), shape: dims(o.shape) }));
    return new TfjsSession(m, provider, skipped, performance.now() - t0, inputs, outputs);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be loaded by TF.js (${oneLine(e, 1000)})`);
  }
}

/** The tfjs model object itself, on the selected backend (saliency takes gradients through it; inference uses loadTfjs). */
export async function loadTfjsModel(path: string, source: TfjsArtifacts, opts: LoadOptions = {}): Promise<tf.LayersModel | tf.GraphModel> {
  await selectTfjsBackend(opts.providers);
  const handler: tf.io.IOHandler = { load: async () => toTfArtifacts(source) };
  try {
    return source.kind === 'graph' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  } catch (e) {
    throw new ModelError(path, `cannot be loaded by TF.js (${oneLine(e, 1000)})`);
  }
}
