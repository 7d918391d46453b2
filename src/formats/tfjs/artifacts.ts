import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import type { TfjsArtifacts } from '../descriptor';
import { isObj, type Json } from './keras-config';
import type { WeightSet } from './manifest';

/**
 * The model.json and weight shards a TF.js model was opened from, kept beside the Model (not in the IR) so the
 * runtime and explain build their tf.LayersModel/GraphModel from what the reader already parsed, instead of reading
 * and parsing the file again.
 */
const sources = new WeakMap<Model, { json: Json; weights: WeightSet }>();

export function rememberSource(model: Model, json: Json, weights: WeightSet): void {
  sources.set(model, { json, weights });
}

export async function tfjsArtifacts(model: Model): Promise<TfjsArtifacts> {
  const src = sources.get(model);
  if (!src) throw new ModelError(model.path, 'was not opened by the TF.js reader');
  const { json, weights } = src;
  if (!isObj(json.modelTopology)) throw new ModelError(model.path, 'has no modelTopology: there is no model to run, only weights');
  const specs = (Array.isArray(json.weightsManifest) ? json.weightsManifest : []).flatMap((g) => (isObj(g) && Array.isArray(g.weights) ? g.weights : []));
  const data = await weights.readAll();
  const pick = (k: string): object | undefined => (isObj(json[k]) ? (json[k] as object) : undefined);
  return {
    kind: model.format === 'tfjs-graph' ? 'graph' : 'layers',
    modelTopology: json.modelTopology,
    weightSpecs: specs as TfjsArtifacts['weightSpecs'],
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    ...(typeof json.format === 'string' ? { format: json.format } : {}),
    ...(pick('signature') ? { signature: pick('signature') } : {}),
    ...(pick('userDefinedMetadata') ? { userDefinedMetadata: pick('userDefinedMetadata') } : {}),
    ...(pick('modelInitializer') ? { modelInitializer: pick('modelInitializer') } : {}),
  };
}
