import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { describeHead, firstZipEntry, isZip } from '../head-bytes';
import { isObj, type Json } from '../tfjs/keras-config';
import { buildLayersGraph } from '../tfjs/layers';
import { ZipArchive } from '../zip/zip-archive';
import { layerTree, normalizeConfig, variableNames, type LayerSpec } from './config';
import { Hdf5File, hasHdf5Signature } from './hdf5';
import { datasetTensor, optimizerTensors, readKeras3Weights, readLegacyWeights, type KerasWeights } from './weights';
import { rememberSource } from './source';
import { kerasArtifacts } from './artifacts';

/** config.json / metadata.json / model_config are structure only; bigger is not a model config. */
const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
/**
 * h5wasm reads files by path, so a `.keras` archive's model.weights.h5 is copied (streamed, never held whole) to a
 * private temporary file that `dispose` removes. Bigger than this is refused rather than filling the disk.
 */
const MAX_WEIGHTS_ENTRY_BYTES = 16 * 1024 ** 3;

/** The file names Keras writes (`.keras` archives; `.h5`/`.hdf5` from model.save and save_weights). */
const NAMES = /\.(keras|h5|hdf5)$/i;

/**
 * Keras 3 `.keras` archives (the extension is Keras's alone: the inspector is their default editor) and Keras 2 HDF5
 * files (`model.save('x.h5')`, `save_weights`: `.h5` is any HDF5 file, so the inspector is only offered).
 * The bytes decide, whatever the name: a zip is opened as a `.keras` archive, HDF5 as a Keras 2 file.
 */
export const kerasReader: FormatDescriptor = {
  id: 'keras',
  name: 'Keras',
  formats: ['keras'],
  files: ['*.keras'],
  optionFiles: ['*.h5'],
  runs: { backends: ['tfjs'], artifacts: kerasArtifacts },
  // A file offered by a Keras name is this reader's to explain when its bytes do not fit; under another name, HDF5
  // or a zip that begins as Keras 3 writes one (metadata.json, then config.json) is claimed.
  match: (path, head) => NAMES.test(path) || hasHdf5Signature(head) || isKeras3Zip(head),
  async open(path, opts = {}) {
    const head = opts.head?.bytes ?? (await firstBytes(path));
    if (isZip(head)) return openKeras3(path, opts);
    if (hasHdf5Signature(head)) return openLegacy(path, opts);
    throw new ModelError(path, `is not a Keras file: not a zip archive (what a .keras file is) and no HDF5 signature (what an .h5 file has); ${describeHead(head)}`);
  },
};

function isKeras3Zip(head: Uint8Array): boolean {
  const name = firstZipEntry(head)?.name;
  return name === 'metadata.json' || name === 'config.json';
}

/** The first 4 KiB (where HDF5 signatures may lie), when open is called without openModel's head. */
async function firstBytes(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => { throw new ModelError(path, `cannot be read (${e.code ?? String(e)})`); });
  try {
    const head = new Uint8Array(4096);
    const { bytesRead } = await fh.read(head, 0, head.byteLength, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function openKeras3(path: string, opts: OpenOptions): Promise<Model> {
  const zip = await ZipArchive.open(path);
  let tmp: string | undefined;
  let h5: Hdf5File | undefined;
  const cleanup = async () => {
    h5?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await zip.dispose();
  };
  try {
    const configEntry = zip.entries.get('config.json');
    if (!configEntry) throw new ModelError(path, 'has no config.json: not a Keras 3 .keras archive (or a damaged one)');
    const config = await jsonEntry(zip, 'config.json');
    const metadata = zip.entries.has('metadata.json') ? await jsonEntry(zip, 'metadata.json') : {};
    const weightsEntry = zip.entries.get('model.weights.h5');
    if (!weightsEntry) throw new ModelError(path, 'has no model.weights.h5 (a .keras archive keeps its weights there)');
    if (weightsEntry.size > MAX_WEIGHTS_ENTRY_BYTES) throw new ModelError(path, `model.weights.h5 is ${weightsEntry.size} bytes; over ${MAX_WEIGHTS_ENTRY_BYTES} is not read`);
    opts.signal?.throwIfAborted();
    tmp = await mkdtemp(join(tmpdir(), 'mi-keras-'));
    const h5Path = join(tmp, 'model.weights.h5');
    await copyEntry(await zip.source(weightsEntry), h5Path, opts.signal);
    h5 = await Hdf5File.open(h5Path, path, 'model.weights.h5');
    // HDF5 holds the file open: on POSIX its name can go now, so a crash cannot leave the copy behind.
    if (process.platform !== 'win32') await rm(tmp, { recursive: true, force: true });
    const normalized = normalizeConfig(config);
    if (!isObj(normalized)) throw new ModelError(path, 'config.json is not a Keras model config (not an object)');
    const layers = layerTree(normalized);
    const w = readKeras3Weights(h5, layers, 'model.weights.h5');
    const meta: Record<string, string> = {};
    for (const k of ['keras_version', 'date_saved'] as const) if (typeof metadata[k] === 'string') meta[k] = metadata[k] as string;
    if (w.optimizerVariables) meta.optimizer_variables = String(w.optimizerVariables);
    const opened = h5;
    const dir = tmp;
    return finish(path, normalized, layers, w, meta, async () => {
      opened.close();
      await rm(dir, { recursive: true, force: true });
      await zip.dispose();
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function openLegacy(path: string, opts: OpenOptions): Promise<Model> {
  const h5 = await Hdf5File.open(path, path, 'HDF5');
  try {
    opts.signal?.throwIfAborted();
    const meta: Record<string, string> = {};
    for (const k of ['keras_version', 'backend'] as const) {
      const v = h5.attr('/', k);
      if (typeof v === 'string') meta[k] = v;
    }
    const modelConfig = h5.attr('/', 'model_config');
    if (modelConfig !== undefined) {
      const normalized = normalizeConfig(parseJson(path, 'the model_config attribute', modelConfig));
      if (!isObj(normalized)) throw new ModelError(path, 'the model_config attribute is not a Keras model config (not an object)');
      const group = h5.keys('model_weights') ? 'model_weights' : '/';
      const w = readLegacyWeights(h5, group);
      if (h5.keys('optimizer_weights')) w.optimizer = optimizerTensors(h5, 'optimizer_weights', 'HDF5');
      const layers = layerTree(normalized);
      requireWeights(path, layers, w, '');
      return finish(path, normalized, layers, w, meta, async () => h5.close());
    }
    // save_weights files: Keras 2 (layer groups + layer_names) or Keras 3 (layers/<name>/vars/<i>).
    const rootKeys = h5.keys('/') ?? [];
    let w: KerasWeights;
    if (h5.attr('/', 'layer_names') !== undefined) w = readLegacyWeights(h5, '/');
    else if (rootKeys.includes('layers')) w = allVariables(h5);
    else throw new ModelError(path, 'is an HDF5 file but not a Keras model (no model_config attribute, no layer_names, no layers group)');
    w.warnings.unshift('weights-only file (save_weights): it holds no model config, so there is no graph; only the weights are shown');
    return finish(path, undefined, [], w, meta, async () => h5.close());
  } catch (e) {
    h5.close();
    throw e;
  }
}

/** A Keras 3 weights file without its config: every `vars` dataset under layers/, named by its path. */
function allVariables(h5: Hdf5File): KerasWeights {
  const out: KerasWeights = { tensors: [], byLayer: new Map(), warnings: [] };
  const walk = (group: string, depth: number) => {
    if (depth > 32) return;
    for (const k of h5.keys(group) ?? []) {
      const p = `${group}/${k}`;
      if (h5.keys(p)) walk(p, depth + 1);
      else if (h5.isDataset(p)) out.tensors.push(weightTensor(h5, p));
    }
  };
  walk('layers', 0);
  if (h5.keys('optimizer')) out.optimizer = optimizerTensors(h5, 'optimizer', 'HDF5');
  return out;
}

function weightTensor(h5: Hdf5File, p: string): Tensor {
  return datasetTensor(h5, p, p.replace(/^layers\//, '').replace(/\/vars\//g, '/'), p);
}

/** A layer the config says has weights, with none in the file, is a broken save: say which. */
function requireWeights(path: string, layers: LayerSpec[], w: KerasWeights, prefix: string): void {
  for (const l of layers) {
    if (l.layers) {
      // Keras 2 saves a nested model's weights as one layer group named after the model.
      if (!w.byLayer.get(prefix + l.name)?.length) requireWeights(path, l.layers, w, prefix);
      continue;
    }
    const want = variableNames(l.cls, l.config);
    const got = w.byLayer.get(prefix + l.name);
    if (want && want.length > 0 && (!got || got.length === 0)) {
      throw new ModelError(path, `layer '${l.name}' (class ${l.cls}) has no weights in the file (model_weights/${l.name} is missing or lists none)`);
    }
  }
}

function finish(path: string, config: Json | undefined, layers: LayerSpec[], w: KerasWeights, metadata: Record<string, string>, dispose: () => Promise<void>): Model {
  const warnings = [...w.warnings];
  let parts: ReturnType<typeof buildLayersGraph> | undefined;
  if (config) {
    parts = buildLayersGraph(path, config, w.tensors);
    warnings.push(...parts.warnings);
  }
  const graph = linkGraph({
    name: parts?.name ?? 'weights',
    nodes: parts?.nodes ?? [],
    declared: (parts?.declared ?? []).map((d) => ({ ...d, consumers: [] })),
    inputs: parts?.inputs ?? [],
    outputs: parts?.outputs ?? [],
    // Optimizer state is listed (apart, by its role) but never offered to the layers.
    initializers: [...w.tensors, ...(w.optimizer ?? [])],
  });
  const model: Model = {
    format: 'keras',
    path,
    producer: { name: 'keras', version: metadata.keras_version ?? '' },
    opsets: [],
    metadata,
    graph,
    functions: [],
    warnings,
    dispose,
  };
  if (config) rememberSource(model, { config, layers, byLayer: w.byLayer });
  return model;
}

async function jsonEntry(zip: ZipArchive, name: string): Promise<Json> {
  const entry = zip.entries.get(name)!;
  if (entry.size > MAX_CONFIG_BYTES) throw new ModelError(zip.file, `${name} is ${entry.size} bytes; a Keras ${name} over ${MAX_CONFIG_BYTES} bytes is not read`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await zip.bytes(entry));
  const v = parseJson(zip.file, name, text);
  if (!isObj(v)) throw new ModelError(zip.file, `${name} is not a JSON object`);
  return v;
}

function parseJson(file: string, what: string, text: unknown): unknown {
  if (typeof text !== 'string') throw new ModelError(file, `${what} is not a JSON string`);
  if (text.length > MAX_CONFIG_BYTES) throw new ModelError(file, `${what} is over ${MAX_CONFIG_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelError(file, `${what} is not valid JSON (${String((e as Error).message).split('\n')[0]})`);
  }
}

/** Streams a zip entry to a new private file in chunks, so a big weights entry is never held in memory whole. */
async function copyEntry(src: { byteLength: number; read(o: number, n: number): Promise<Uint8Array> }, to: string, signal?: AbortSignal): Promise<void> {
  const out = createWriteStream(to, { mode: 0o600, flags: 'wx' });
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  try {
    const chunk = 8 * 1024 * 1024;
    for (let at = 0; at < src.byteLength; at += chunk) {
      signal?.throwIfAborted();
      const bytes = await src.read(at, Math.min(chunk, src.byteLength - at));
      if (!out.write(bytes)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
  } finally {
    out.end();
  }
  await done;
}
