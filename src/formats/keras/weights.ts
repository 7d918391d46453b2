import { roleFromName } from '../tensor-roles';
import { ModelError } from '../../model/errors';
import { DTYPE_BYTES } from '../../model/dtype';
import type { Tensor } from '../../model/tensor';
import { variableNames, type LayerSpec } from './config';
import type { Hdf5File } from './hdf5';

/** More elements than this in one dataset is a corrupt header, not a weight: refused before anything is sized by it. */
const MAX_ELEMENTS = 2 ** 40;

export interface KerasWeights {
  /** Layer weights in layer order, each layer's in its variable order. */
  tensors: Tensor[];
  /** Layer name (path for nested layers: "outer/inner") → its weights' tensor names, in order. */
  byLayer: Map<string, string[]>;
  warnings: string[];
  /** A training save's optimizer variables (role 'optimizer', or 'counter' for its iterations), kept out of the layers. */
  optimizer?: Tensor[];
}

/** One HDF5 dataset as an IR tensor whose bytes are read lazily. */
export function datasetTensor(h5: Hdf5File, path: string, name: string, origin: string): Tensor {
  const info = h5.dataset(path);
  const count = info.shape.reduce((a, b) => a * b, 1);
  if (!info.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count > MAX_ELEMENTS) {
    throw new ModelError(h5.shownAs, `${origin}: absurd shape [${info.shape.join(', ')}]`);
  }
  const bytes = DTYPE_BYTES[info.dtype];
  const base = { name, dtype: info.dtype, shape: info.shape, elementCount: count, location: 'shard' as const, origin };
  // moving_mean/moving_variance are buffers; optimizer weights (listed apart by the reader) say so by their path.
  const role = roleFromName(name, count);
  const named = role ? { ...base, role } : base;
  if (info.problem || bytes === undefined) return { ...named, problem: `${origin}: ${info.problem ?? 'unknown element type'}` };
  return { ...named, data: h5.source(info, bytes) };
}

/**
 * Keras 3 `model.weights.h5` (saving_lib's H5IOStore): each object's variables at `<path>/vars/<i>` in creation
 * order, layers at `layers/<name>`, a nested model's layers under its own `layers/`, sublayers (an RNN's cell)
 * in groups of their own. The optimizer (`optimizer/vars/...`) is counted, not listed as model weights.
 */
export function readKeras3Weights(h5: Hdf5File, layers: LayerSpec[], entry: string): KerasWeights & { optimizerVariables: number } {
  const out: KerasWeights = { tensors: [], byLayer: new Map(), warnings: [] };
  walkLayers(h5, layers, 'layers', '', out, entry);
  const optimizerVariables = h5.keys('optimizer/vars')?.length ?? 0;
  return { ...out, optimizer: optimizerTensors(h5, 'optimizer', entry), optimizerVariables };
}

function walkLayers(h5: Hdf5File, layers: LayerSpec[], groupPath: string, prefix: string, out: KerasWeights, entry: string): void {
  const present = new Set(h5.keys(groupPath) ?? []);
  for (const l of layers) {
    const at = `${groupPath}/${l.name}`;
    if (l.layers) {
      if (present.has(l.name)) walkLayers(h5, l.layers, `${at}/layers`, `${prefix}${l.name}/`, out, entry);
      continue;
    }
    const names = variableNames(l.cls, l.config);
    if (!present.has(l.name)) {
      if (names && names.length === 0) continue;
      throw new ModelError(h5.shownAs, `layer '${prefix}${l.name}' (class ${l.cls}) has no weights in ${entry} (no group ${at})`);
    }
    const vars = variablePaths(h5, at);
    if (names && names.length !== vars.length) {
      throw new ModelError(h5.shownAs, `layer '${prefix}${l.name}' (class ${l.cls}) needs ${names.length} weights (${names.join(', ')}) but ${entry} has ${vars.length} under ${at}`);
    }
    const list: string[] = [];
    vars.forEach((v, i) => {
      const leaf = names?.[i] ?? v.slice(at.length + 1).replace(/(^|\/)vars\//, '$1');
      const t = datasetTensor(h5, v, `${prefix}${l.name}/${leaf}`, `${entry} ${v}`);
      out.tensors.push(t);
      list.push(t.name);
    });
    out.byLayer.set(`${prefix}${l.name}`, list);
  }
}

/** `<group>/vars/0..n` first (numeric order), then the variables of sublayer groups, depth first. */
function variablePaths(h5: Hdf5File, group: string, depth = 0): string[] {
  if (depth > 16) return [];
  const keys = h5.keys(group) ?? [];
  const out: string[] = [];
  if (keys.includes('vars')) {
    const vars = (h5.keys(`${group}/vars`) ?? []).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
    out.push(...vars.map((k) => `${group}/vars/${k}`));
  }
  for (const k of keys) if (k !== 'vars' && h5.keys(`${group}/${k}`)) out.push(...variablePaths(h5, `${group}/${k}`, depth + 1));
  return out;
}

/**
 * Keras 2 HDF5 (legacy_h5_format): one group per layer (listed, in order, by the `layer_names` attribute of the
 * weights group), whose `weight_names` attribute lists its datasets in the layer's weight order. Tensors are
 * named by the weight name without TF's ":0" suffix ("dense/kernel"), as tfjs-layers names them.
 */
export function readLegacyWeights(h5: Hdf5File, group: string): KerasWeights {
  const out: KerasWeights = { tensors: [], byLayer: new Map(), warnings: [] };
  const at = (k: string) => (group === '/' ? k : `${group}/${k}`);
  const listed = strings(h5.attr(group, 'layer_names'));
  const layerNames = listed ?? (h5.keys(group) ?? []);
  if (!listed) out.warnings.push(`${group === '/' ? 'the file' : group} has no layer_names attribute: layer groups are taken in file order`);
  for (const layer of layerNames) {
    if (!h5.keys(at(layer))) throw new ModelError(h5.shownAs, `layer_names lists '${layer}' but there is no group ${at(layer)}`);
    const weightNames = strings(h5.attr(at(layer), 'weight_names')) ?? [];
    const list: string[] = [];
    for (const w of weightNames) {
      const path = `${at(layer)}/${w}`;
      if (!h5.isDataset(path)) throw new ModelError(h5.shownAs, `layer '${layer}' lists weight ${w} but there is no dataset ${path}`);
      const t = datasetTensor(h5, path, w.replace(/:\d+$/, ''), path);
      out.tensors.push(t);
      list.push(t.name);
    }
    out.byLayer.set(layer, list);
  }
  return out;
}

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/**
 * Every dataset under `group` (Keras 3's `optimizer/vars/<i>`, Keras 2's `optimizer_weights/Adam/dense/kernel/m:0`),
 * named by its path, as optimizer state: listed apart from the model's weights, not wired into any layer.
 */
export function optimizerTensors(h5: Hdf5File, group: string, entry: string): Tensor[] {
  const out: Tensor[] = [];
  const walk = (g: string, depth: number) => {
    if (depth > 32) return;
    const keys = h5.keys(g) ?? [];
    // Keras 3 numbers its variables: numeric order, not the HDF5 name order ("10" before "2").
    if (keys.every((k) => /^\d+$/.test(k))) keys.sort((a, b) => Number(a) - Number(b));
    for (const k of keys) {
      const p = `${g}/${k}`;
      if (h5.keys(p)) walk(p, depth + 1);
      else if (h5.isDataset(p)) {
        const t = datasetTensor(h5, p, p.replace(/:\d+$/, ''), `${entry} ${p}`);
        out.push({ ...t, role: t.role ?? 'optimizer' });
      }
    }
  };
  walk(group, 0);
  return out;
}
