import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import type { Tensor } from '../../model/tensor';
import { isObj, type Json } from '../tfjs/keras-config';
import type { LayerSpec } from './config';
import { dropTrainingOnly } from './inference-config';
import { kerasSourceOf } from './source';

/** What `tf.loadLayersModel(tf.io.fromMemory(artifacts))` takes (tfjs-core's ModelArtifacts, layers form). */
export interface KerasArtifacts {
  kind: 'layers';
  modelTopology: Json;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  weightData: ArrayBuffer;
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string;
}

/**
 * Layer classes tfjs-layers 4.22 deserializes (its serialization registry, checked by test/unit/keras-artifacts).
 * Kept as a list here because only src/runtime/ may load tfjs.
 */
export const TFJS_LAYER_CLASSES: ReadonlySet<string> = new Set([
  'InputLayer', 'Dense', 'Activation', 'Dropout', 'SpatialDropout1D', 'Flatten', 'RepeatVector', 'Reshape', 'Permute',
  'Masking', 'Embedding', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax',
  'Conv1D', 'Conv2D', 'Conv2DTranspose', 'Conv3D', 'Conv3DTranspose', 'SeparableConv2D', 'DepthwiseConv2D',
  'Cropping2D', 'UpSampling2D', 'ZeroPadding2D',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
  'BatchNormalization', 'LayerNormalization', 'Add', 'Average', 'Concatenate', 'Maximum', 'Minimum', 'Multiply', 'Dot',
  'SimpleRNN', 'GRU', 'LSTM', 'ConvLSTM2D', 'Bidirectional', 'TimeDistributed',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Rescaling', 'CenterCrop', 'Resizing', 'CategoryEncoding',
]);

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

/**
 * A Keras model opened by the Keras reader, as tfjs-layers model artifacts: the topology in the Keras 2 form tfjs
 * reads (a nested Sequential's InputLayer folded into its first layer's batch_input_shape, as Keras 2 wrote it) and the
 * weights as float32, named `<layer>/<variable>` as tfjs-layers names them, in each layer's variable order.
 * Throws a ModelError naming the first layer tfjs has no implementation of, or a weight it cannot take.
 */
export async function kerasArtifacts(model: Model): Promise<KerasArtifacts> {
  const src = kerasSourceOf(model);
  if (!src) {
    const why = model.format === 'keras' ? 'it holds weights only (no model config), so there is no model to run' : `it is a ${model.format} model, not a Keras one`;
    throw new ModelError(model.path, `cannot be run through TF.js: ${why}`);
  }
  const unsupported = firstUnsupported(src.layers, '');
  if (unsupported) {
    throw new ModelError(model.path, `layer '${unsupported.name}' (class ${unsupported.cls}) has no TF.js implementation; the model can be viewed but not run`);
  }
  const byName = new Map(model.graph.initializers.map((t) => [t.name, t]));
  const specs: KerasArtifacts['weightSpecs'] = [];
  const parts: Float32Array[] = [];
  for (const [layer, names] of src.byLayer) {
    for (const name of names) {
      const t = byName.get(name);
      if (!t) throw new ModelError(model.path, `weight ${name} of layer '${layer}' is missing`);
      parts.push(await float32Values(model.path, t));
      // tfjs names a variable by its own layer and variable name, whatever models enclose the layer.
      specs.push({ name: name.split('/').slice(-2).join('/'), shape: [...t.shape], dtype: 'float32' });
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return {
    modelTopology: tfjsTopology(model.path, src.config, kerasMajor(model)),
    weightSpecs: specs,
    weightData: data.buffer,
    kind: 'layers',
    format: 'layers-model',
    generatedBy: `keras v${model.metadata.keras_version ?? ''}`,
    convertedBy: 'Model Inspector',
  };
}

function firstUnsupported(layers: LayerSpec[], prefix: string): { name: string; cls: string } | undefined {
  for (const l of layers) {
    if (l.layers) {
      const inner = firstUnsupported(l.layers, `${prefix}${l.name}/`);
      if (inner) return inner;
    } else if (!TFJS_LAYER_CLASSES.has(l.cls)) return { name: prefix + l.name, cls: l.cls };
    // A wrapper (Bidirectional, TimeDistributed) builds the layer it wraps: tfjs must know that class too.
    for (const k of ['layer', 'backward_layer']) {
      const inner = l.config[k];
      if (isObj(inner) && typeof inner.class_name === 'string' && !TFJS_LAYER_CLASSES.has(inner.class_name)) {
        const name = isObj(inner.config) && typeof inner.config.name === 'string' ? inner.config.name : k;
        return { name: `${prefix}${l.name}/${name}`, cls: inner.class_name };
      }
    }
  }
  return undefined;
}

async function float32Values(file: string, t: Tensor): Promise<Float32Array> {
  if (!t.data) throw new ModelError(file, `weight ${t.name} cannot be read (${t.problem ?? 'no data'})`);
  const b = await t.data.read(0, t.data.byteLength);
  const copy = b.slice().buffer;
  switch (t.dtype) {
    case 'float32': return new Float32Array(copy);
    case 'float64': return Float32Array.from(new Float64Array(copy));
    case 'int32': return Float32Array.from(new Int32Array(copy));
    case 'int8': return Float32Array.from(new Int8Array(copy));
    case 'uint8': return Float32Array.from(new Uint8Array(copy));
    default: throw new ModelError(file, `weight ${t.name} is ${t.dtype}, which the TF.js runtime is not given`);
  }
}

/**
 * A deep copy of the config with each nested Sequential's leading InputLayer folded into its first layer and the
 * settings that only matter to training dropped (see inference-config.ts).
 */
function tfjsTopology(file: string, config: Json, major: number): Json {
  const copy = JSON.parse(JSON.stringify(config)) as Json;
  foldInputs(copy, 0);
  dropTrainingOnly(file, copy, major);
  return copy;
}

/** The Keras major version that wrote the file; without a version, a .keras archive is Keras 3's format. */
function kerasMajor(model: Model): number {
  const major = Number.parseInt(model.metadata.keras_version ?? '', 10);
  return Number.isFinite(major) ? major : /\.keras$/i.test(model.path) ? 3 : 2;
}

function foldInputs(m: Json, depth: number): void {
  if (depth > 64 || !isObj(m.config)) return;
  const layers = Array.isArray(m.config.layers) ? (m.config.layers as unknown[]) : [];
  // The top model keeps its InputLayer (tfjs-layers reads it in a Sequential too), so the runtime's input has the
  // name the IR and the Overview give it; tfjs would call a folded one "<first layer>_input".
  if (m.class_name === 'Sequential' && layers.length > 1 && depth > 0) {
    const first = layers[0];
    const next = layers[1];
    if (isObj(first) && first.class_name === 'InputLayer' && isObj(first.config) && isObj(next) && isObj(next.config)) {
      next.config.batch_input_shape ??= first.config.batch_input_shape;
      if (typeof first.config.dtype === 'string') next.config.dtype ??= first.config.dtype;
      layers.shift();
    }
  }
  for (const l of layers) if (isObj(l) && typeof l.class_name === 'string' && MODEL_CLASSES.has(l.class_name)) foldInputs(l, depth + 1);
  if (m.class_name !== 'Sequential') shiftNestedRefs(m.config, layers);
}

/**
 * A nested model that knows its input shape has a node of its own (its Input) before its first outer call, so
 * tfjs-layers (like Keras 2) numbers that call 1. Keras 3 numbers it 0: shift, unless the refs already run past
 * the model's own calls (a Keras 2 file).
 */
function shiftNestedRefs(config: Json, layers: unknown[]): void {
  const nested = new Map<string, number>();
  for (const l of layers) {
    if (isObj(l) && typeof l.class_name === 'string' && MODEL_CLASSES.has(l.class_name) && isObj(l.config) && typeof l.config.name === 'string') {
      nested.set(l.config.name, Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0);
    }
  }
  if (nested.size === 0) return;
  const refs: unknown[][] = [];
  for (const l of layers) {
    if (!isObj(l) || !Array.isArray(l.inbound_nodes)) continue;
    for (const call of l.inbound_nodes) if (Array.isArray(call)) for (const r of call) if (Array.isArray(r)) refs.push(r);
  }
  if (Array.isArray(config.output_layers)) for (const r of config.output_layers) if (Array.isArray(r)) refs.push(r);
  for (const [name, calls] of nested) {
    const mine = refs.filter((r) => r[0] === name && typeof r[1] === 'number');
    if (mine.length && Math.max(...mine.map((r) => r[1] as number)) < calls) for (const r of mine) r[1] = (r[1] as number) + 1;
  }
}
