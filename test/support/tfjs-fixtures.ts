// Builds real TF.js models on disk in the standard file layout (model.json + weight shards), for reader,
// stats, inference and saliency tests. Uses the pure-JS CPU backend; no tfjs-node needed.
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { floatToHalf } from '../../src/model/float-bits';

// As the product does (src/runtime/backends/tfjs/backend.ts): no "looks like you are running TensorFlow.js in Node.js" banner in
// the test output. Test files that use tfjs import it from here.
tf.env().set('PROD', true);

export { tf };

let ready: Promise<void> | undefined;
/** Selects the CPU backend once (importing tfjs in Node would otherwise try WebGL first). */
export function tfReady(): Promise<void> {
  ready ??= tf.setBackend('cpu').then(() => tf.ready());
  return ready;
}

/** A fresh temp folder; `cleanup` removes it. */
export async function tempDir(prefix = 'tfjs-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** One manifest weight with its STORED bytes (already quantized / fp16-encoded when `quantization` is set). */
export interface StoredWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: Record<string, unknown>;
  bytes: Uint8Array;
}

export interface WriteOptions {
  /** Split each group's bytes into shards of this size (the last one shorter); default: one shard. */
  shardBytes?: number;
  /** Shard file name prefix; files are `<prefix>-shard<i>of<n>.bin` like the converter writes. */
  groupPrefix?: string;
  /** Extra top-level model.json keys (signature, userDefinedMetadata, ...). */
  extra?: Record<string, unknown>;
  jsonName?: string;
}

/** Writes model.json + shards; returns the model.json path and the shard file names. */
export async function writeTfjsModel(
  dir: string,
  modelTopology: unknown,
  format: 'layers-model' | 'graph-model',
  weights: StoredWeight[],
  opts: WriteOptions = {},
): Promise<{ jsonPath: string; shards: string[] }> {
  const total = weights.reduce((a, w) => a + w.bytes.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const w of weights) {
    all.set(w.bytes, at);
    at += w.bytes.byteLength;
  }
  const size = opts.shardBytes && opts.shardBytes > 0 ? opts.shardBytes : Math.max(total, 1);
  const n = Math.max(1, Math.ceil(total / size));
  const prefix = opts.groupPrefix ?? 'group1';
  const shards: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-shard${i + 1}of${n}.bin`;
    shards.push(name);
    await writeFile(join(dir, name), all.subarray(i * size, Math.min(total, (i + 1) * size)));
  }
  const json = {
    modelTopology,
    format,
    generatedBy: format === 'layers-model' ? `TensorFlow.js tfjs-layers v${tf.version.tfjs}` : '2.15.0',
    convertedBy: format === 'layers-model' ? null : 'TensorFlow.js Converter v4.22.0',
    weightsManifest: [{
      paths: shards,
      weights: weights.map(({ name, shape, dtype, quantization }) => ({ name, shape, dtype, ...(quantization ? { quantization } : {}) })),
    }],
    ...opts.extra,
  };
  const jsonPath = join(dir, opts.jsonName ?? 'model.json');
  await writeFile(jsonPath, JSON.stringify(json));
  return { jsonPath, shards };
}

/** Saves a LayersModel through tfjs' own serializer into `dir` (model.json + shards). */
export async function saveLayersModel(model: tf.LayersModel, dir: string, opts: WriteOptions = {}): Promise<{ jsonPath: string; shards: string[] }> {
  let out: { jsonPath: string; shards: string[] } | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    const data = joinWeightData(a.weightData);
    let at = 0;
    const weights = (a.weightSpecs ?? []).map((s) => {
      const len = tf.util.sizeFromShape(s.shape) * (s.dtype === 'bool' ? 1 : 4);
      const w: StoredWeight = { name: s.name, shape: s.shape, dtype: s.dtype, bytes: data.subarray(at, at + len) };
      at += len;
      return w;
    });
    out = await writeTfjsModel(dir, a.modelTopology, 'layers-model', weights, opts);
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return out!;
}

function joinWeightData(d: tf.io.WeightData | undefined): Uint8Array {
  if (!d) return new Uint8Array(0);
  const buf = Array.isArray(d) ? tf.io.concatenateArrayBuffers(d) : d;
  return new Uint8Array(buf);
}

/** Loads a model.json the way tfjs' file/http loaders do (shards concatenated per group), as an IOHandler. */
export function diskHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const g of manifest) {
          specs.push(...g.weights);
          for (const p of g.paths) {
            const b = await readFile(join(dirname(jsonPath), p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Small CNN: Conv2D → MaxPooling2D → Flatten → Dense(softmax). Input [batch, 8, 8, 1], output [batch, 3]. */
export function sequentialCnn(): tf.Sequential {
  return tf.sequential({
    name: 'cnn',
    layers: [
      tf.layers.conv2d({ name: 'conv', inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' }),
    ],
  });
}

/** Functional model, two Dense branches joined by Concatenate: x[batch,5] → a[2] ‖ b[3] → cat[5] → head[2]. */
export function twoBranchModel(): tf.LayersModel {
  const x = tf.input({ shape: [5], name: 'x' });
  const a = tf.layers.dense({ units: 2, name: 'branch_a', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 3, name: 'branch_b', activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([a, b]) as tf.SymbolicTensor;
  const head = tf.layers.dense({ units: 2, name: 'head' }).apply(cat) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: head, name: 'branches' });
}

/** Raw little-endian bytes of a typed array. */
export function bytesOf(a: Float32Array | Int32Array | Uint32Array | Uint8Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** IEEE half encoding (round to nearest even) of each value, as stored bytes. */
export function float16Bytes(values: readonly number[]): Uint8Array {
  return bytesOf(Uint16Array.from(values, floatToHalf));
}

/**
 * The Dense(3 → 2) + ReLU graph model as tensorflowjs_converter would write it:
 * Placeholder x → MatMul(Const kernel) → BiasAdd(Const bias) → Relu → Identity, weights in the manifest.
 */
export function denseGraphModel(kernel: Float32Array, bias: Float32Array): { topology: unknown; signature: unknown; weights: StoredWeight[] } {
  const t = (type: string) => ({ type });
  const shape = (...d: number[]) => ({ dim: d.map((size) => ({ size: String(size) })) });
  const cnst = (name: string, dims: number[]) => ({
    name, op: 'Const',
    attr: { dtype: t('DT_FLOAT'), value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape(...dims) } } },
  });
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: t('DT_FLOAT'), shape: { shape: shape(-1, 3) } } },
      cnst('dense/kernel', [3, 2]),
      cnst('dense/bias', [2]),
      { name: 'dense/MatMul', op: 'MatMul', input: ['x', 'dense/kernel'], attr: { T: t('DT_FLOAT'), transpose_a: { b: false }, transpose_b: { b: false } } },
      { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul', 'dense/bias'], attr: { T: t('DT_FLOAT'), data_format: { s: Buffer.from('NHWC').toString('base64') } } },
      { name: 'dense/Relu', op: 'Relu', input: ['dense/BiasAdd'], attr: { T: t('DT_FLOAT') } },
      { name: 'Identity', op: 'Identity', input: ['dense/Relu', '^dense/BiasAdd'], attr: { T: t('DT_FLOAT') } },
    ],
    library: {},
    versions: { producer: 1286 },
  };
  const signature = {
    inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 3) } },
    outputs: { 'Identity:0': { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 2) } },
  };
  return {
    topology,
    signature,
    weights: [
      { name: 'dense/kernel', shape: [3, 2], dtype: 'float32', bytes: bytesOf(kernel) },
      { name: 'dense/bias', shape: [2], dtype: 'float32', bytes: bytesOf(bias) },
    ],
  };
}
