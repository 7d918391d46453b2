import { callRefs, isObj, type Json } from '../tfjs/keras-config';

/** Model classes whose config holds a layer list (nested models are walked like the top one). */
export const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/**
 * Keras 3 `config.json` → the Keras 2 form that the TF.js topology code (../tfjs/layers.ts) and tfjs-layers 4.x
 * read: `module`/`registered_name`/`build_config`/`compile_config` dropped, DTypePolicy objects → their name,
 * `batch_shape` → `batch_input_shape`, `{args, kwargs}` inbound nodes → `[[layer, node, tensor, {}], ...]`,
 * a single `input_layers`/`output_layers` ref → a list, `Functional` → `Model`. A Keras 2 config passes unchanged
 * except for the same harmless renames.
 */
export function normalizeConfig(v: unknown, depth = 0): unknown {
  if (depth > 200) return v;
  if (Array.isArray(v)) return v.map((x) => normalizeConfig(x, depth + 1));
  if (!isObj(v)) return v;
  // A dtype policy ({class_name: 'DTypePolicy', config: {name: 'float32'}}) → 'float32'; mixed policies keep
  // their compute dtype, which is what the layer's outputs have.
  if (typeof v.class_name === 'string' && /DTypePolicy$/.test(v.class_name) && isObj(v.config)) {
    const name = v.config.name;
    if (typeof name === 'string') return name.startsWith('mixed_') ? name.replace(/^mixed_/, '') : name;
  }
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'module' || k === 'registered_name' || k === 'build_config' || k === 'compile_config') continue;
    out[k] = normalizeConfig(x, depth + 1);
  }
  if (out.class_name === 'Functional') out.class_name = 'Model';
  if (out.class_name === 'Sequential') firstLayerShape(v, out);
  if (Array.isArray(out.inbound_nodes)) {
    out.inbound_nodes = (v.inbound_nodes as unknown[]).map((call) =>
      Array.isArray(call) ? normalizeConfig(call, depth + 1) : callRefs(call).map((r) => [r.layer, r.node, r.tensor, {}]),
    );
  }
  if (isObj(out.config)) {
    const cfg = out.config;
    if (Array.isArray(cfg.batch_shape) && cfg.batch_input_shape === undefined) {
      cfg.batch_input_shape = cfg.batch_shape;
      delete cfg.batch_shape;
    }
    for (const k of ['input_layers', 'output_layers'] as const) {
      const refs = cfg[k];
      if (Array.isArray(refs) && typeof refs[0] === 'string') cfg[k] = [refs];
    }
  }
  return out;
}

/**
 * A Keras 3 Sequential built without an InputLayer keeps its input shape only in build_config (dropped above):
 * give it to the first layer as batch_input_shape, where Keras 2 and tfjs-layers look for it.
 */
function firstLayerShape(original: Json, out: Json): void {
  const layers = isObj(out.config) && Array.isArray(out.config.layers) ? out.config.layers : undefined;
  const first = layers?.[0];
  if (!isObj(first) || first.class_name === 'InputLayer' || !isObj(first.config) || first.config.batch_input_shape !== undefined) return;
  const src = isObj(original.config) && Array.isArray(original.config.layers) ? original.config.layers[0] : undefined;
  const shape = [
    isObj(src) && isObj(src.build_config) ? src.build_config.input_shape : undefined,
    isObj(original.build_config) ? original.build_config.input_shape : undefined,
    isObj(original.config) ? original.config.build_input_shape : undefined,
  ].find((s) => Array.isArray(s));
  if (shape) first.config.batch_input_shape = shape;
}

export interface LayerSpec {
  name: string;
  cls: string;
  config: Json;
  /** The layers of a nested model. */
  layers?: LayerSpec[];
}

/** The layers of a (normalised) model config, nested models included, in config order. */
export function layerTree(model: unknown): LayerSpec[] {
  const cfg = isObj(model) ? model.config : undefined;
  const list = Array.isArray(cfg) ? cfg : isObj(cfg) && Array.isArray(cfg.layers) ? cfg.layers : [];
  const out: LayerSpec[] = [];
  for (const l of list) {
    if (!isObj(l) || typeof l.class_name !== 'string') continue;
    const config = isObj(l.config) ? l.config : {};
    const name = typeof l.name === 'string' ? l.name : typeof config.name === 'string' ? config.name : undefined;
    if (!name) continue;
    out.push({ name, cls: l.class_name, config, ...(MODEL_CLASSES.has(l.class_name) ? { layers: layerTree(l) } : {}) });
  }
  return out;
}

/**
 * The names of a layer's variables in Keras's creation order (what `vars/0`, `vars/1`, ... hold in a Keras 3 file,
 * and what tfjs-layers calls them): undefined for classes not listed here, whose variables keep their index.
 */
export function variableNames(cls: string, cfg: Json): string[] | undefined {
  const bias = cfg.use_bias === false ? [] : ['bias'];
  if (cls === 'Dense' || /^Conv[123]D(Transpose)?$/.test(cls) || cls === 'Conv2DTranspose') return ['kernel', ...bias];
  if (/^DepthwiseConv[12]D$/.test(cls)) return ['depthwise_kernel', ...bias];
  if (/^SeparableConv[12]D$/.test(cls)) return ['depthwise_kernel', 'pointwise_kernel', ...bias];
  if (cls === 'BatchNormalization') {
    return [...(cfg.scale === false ? [] : ['gamma']), ...(cfg.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
  }
  if (cls === 'LayerNormalization') return [...(cfg.scale === false ? [] : ['gamma']), ...(cfg.center === false ? [] : ['beta'])];
  if (cls === 'Embedding') return ['embeddings'];
  if (cls === 'PReLU') return ['alpha'];
  // Keras 3 keeps a recurrent layer's variables in its cell's group (layers/lstm/cell/vars/...), same order.
  if (cls === 'LSTM' || cls === 'GRU' || cls === 'SimpleRNN') return ['kernel', 'recurrent_kernel', ...bias];
  if (WEIGHTLESS.has(cls)) return [];
  return undefined;
}

/** Layers that never have variables: a file that stores none for them is complete. */
const WEIGHTLESS = new Set([
  'InputLayer', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'Dropout', 'Flatten', 'Reshape', 'Permute',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalAveragePooling3D', 'GlobalMaxPooling1D',
  'GlobalMaxPooling2D', 'GlobalMaxPooling3D', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum',
  'Concatenate', 'ZeroPadding1D', 'ZeroPadding2D', 'ZeroPadding3D', 'Cropping1D', 'Cropping2D', 'Cropping3D',
  'UpSampling1D', 'UpSampling2D', 'UpSampling3D', 'RepeatVector', 'SpatialDropout1D', 'SpatialDropout2D',
  'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Masking', 'Rescaling', 'Identity',
]);
