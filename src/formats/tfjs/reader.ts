import { assignGraphRoles } from '../tensor-roles';
import { readFile, stat } from 'node:fs/promises';
import { ModelError } from '../../model/errors';
import { TFJS_MODEL_KEYS } from './detect';
import type { Graph, Model, ModelFormat } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { buildFunctions, buildGraphModel, type GraphParts } from './graph-model';
import { isObj, type Json } from './keras-config';
import { buildLayersGraph } from './layers';
import { readWeightsManifest, type WeightSet } from './manifest';
import { rememberSource, tfjsArtifacts } from './artifacts';

export { dequantizeTfjs } from './quantization';
export { decodeTfjsStrings } from './strings';

/** A model.json is structure only; anything this big is not one, and parsing it would eat the engine's memory. */
const MAX_JSON_BYTES = 512 * 1024 * 1024;

const MODEL_KEYS = TFJS_MODEL_KEYS;

export const tfjsReader: FormatDescriptor = {
  id: 'tfjs',
  name: 'TensorFlow.js',
  formats: ['tfjs-layers', 'tfjs-graph'],
  files: [],
  optionFiles: ['**/model.json'],
  headPattern: TFJS_MODEL_KEYS,
  runs: { backends: ['tfjs'], artifacts: tfjsArtifacts },

  match(path: string, head: Uint8Array): boolean {
    if (!/\.json$/i.test(path)) return false;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(head).replace(/^\uFEFF/, '');
    if (!text.trimStart().startsWith('{')) return false;
    try {
      // Small files arrive whole: decide on the real top-level keys.
      return looksLikeTfjs(JSON.parse(text));
    } catch {
      return MODEL_KEYS.test(text);
    }
  },

  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    const json = await readJson(path);
    opts.signal?.throwIfAborted();
    if (!looksLikeTfjs(json)) {
      throw new ModelError(path, 'is JSON but not a TF.js model (no modelTopology or weightsManifest)');
    }
    const weights = await readWeightsManifest(path, json.weightsManifest);
    try {
      opts.signal?.throwIfAborted();
      return build(path, json, weights);
    } catch (e) {
      await weights.close();
      throw e;
    }
  },
};

function looksLikeTfjs(v: unknown): v is Json {
  return isObj(v) && (isObj(v.modelTopology) || Array.isArray(v.weightsManifest) || v.format === 'layers-model' || v.format === 'graph-model');
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    const s = await stat(path);
    if (s.size > MAX_JSON_BYTES) throw new ModelError(path, `is ${s.size} bytes; a model.json over 512 MiB is not read`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ModelError(path, `is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
}

function kindOf(json: Json): ModelFormat {
  const topo = json.modelTopology;
  if (isObj(topo) && Array.isArray(topo.node)) return 'tfjs-graph';
  if (isObj(topo) && (typeof topo.class_name === 'string' || isObj(topo.model_config))) return 'tfjs-layers';
  return json.format === 'graph-model' ? 'tfjs-graph' : 'tfjs-layers';
}

function build(path: string, json: Json, weights: WeightSet): Model {
  const warnings = [...weights.warnings];
  const format = kindOf(json);
  const metadata: Record<string, string> = {};
  for (const k of ['format', 'generatedBy', 'convertedBy'] as const) if (typeof json[k] === 'string') metadata[k] = json[k] as string;
  if (isObj(json.userDefinedMetadata)) {
    for (const [k, v] of Object.entries(json.userDefinedMetadata)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  let parts: GraphParts;
  let functions: Graph[] = [];
  if (!isObj(json.modelTopology)) {
    warnings.push('model.json has no modelTopology: only the weights are shown');
    parts = { name: 'weights', nodes: [], declared: [], inputs: [], outputs: [] };
  } else if (format === 'tfjs-graph') {
    parts = buildGraphModel(path, json.modelTopology, json.signature, weights.byName);
    functions = buildFunctions(path, json.modelTopology).map((f) => link(f, []));
  } else {
    const l = buildLayersGraph(path, json.modelTopology, weights.tensors);
    parts = l;
    warnings.push(...l.warnings);
    if (l.keras.version) metadata.keras_version = l.keras.version;
    if (l.keras.backend) metadata.backend = l.keras.backend;
  }
  const graph = link(parts, weights.tensors);
  const producer = producerOf(json);
  const model: Model = {
    format,
    path,
    ...(producer ? { producer } : {}),
    opsets: [],
    metadata,
    graph,
    functions,
    warnings,
    dataFiles: weights.dataFiles,
    dispose: () => weights.close(),
  };
  rememberSource(model, json, weights);
  return model;
}

function link(p: GraphParts, initializers: Tensor[]): Graph {
  const g = linkGraph({ ...p, declared: p.declared.map((d) => ({ ...d, consumers: [] })), initializers });
  // FusedBatchNorm's inputs 3 and 4 are the running mean and variance (a layers model names them moving_*).
  assignGraphRoles(g, { FusedBatchNorm: [3, 4], FusedBatchNormV2: [3, 4], FusedBatchNormV3: [3, 4] });
  return g;
}

/** "TensorFlow.js Converter v4.17.0" → name + version; the converter wins over the tool that made the source. */
function producerOf(json: Json): { name: string; version: string } | undefined {
  const s = [json.convertedBy, json.generatedBy].find((x): x is string => typeof x === 'string' && x.length > 0);
  if (!s) return undefined;
  const m = /^(.*?)\s+v?(\d[\w.+-]*)$/.exec(s.trim());
  return m ? { name: m[1], version: m[2] } : { name: s, version: '' };
}
