// Trains the saliency example model and writes it twice (rerun after changing this file or shapes-data.ts):
//   node --import tsx examples/train-example.ts
// - examples/shapes/tfjs/: TF.js Layers model (model.json + one shard), input [N,32,32,1] (NHWC), output logits [N,3].
// - examples/shapes/model.onnx: the same network in NCHW (input [N,1,32,32]), kernels transposed; checked against
//   the tfjs outputs with onnxruntime before anything is written.
// - examples/shapes/{square,cross,circle}.npy: one held-back image per class in the ONNX layout (NCHW), and the same
//   images in the TF.js layout (NHWC) in examples/shapes/tfjs/, so each model has inputs that fit it as they are.
// The classes depend only on the drawn shape (see shapes-data.ts). Seeded initialisers and a fixed sample order make
// the run repeatable (two runs here wrote identical files).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { OnnxBuilder, writeModel } from '../test/support/onnx-builder';
import { saveLayersModel } from '../test/support/tfjs-fixtures';
import { encodeNpy } from '../src/formats/arrays/npy';
import { CLASSES, SIZE, makeShapes, shapesRng } from './shapes-data';
import { registerWasmConv2dFilterGrad } from './wasm-filter-grad';

const OUT = join(__dirname, 'shapes');

/**
 * A network whose right answer to "where does it look?" is known, so the saliency tests can check the maps:
 * - `gate`: 1×1 convolutions with ReLU, i.e. per-pixel thresholds; trained on backgrounds up to 0.6 (tests use 0.3)
 *   they settle above the background and below the ink (0.8..1), so nothing off the ink passes;
 * - `conv1`, `conv2`: 3×3 convolutions without bias on the gated image: local shape features, 0 where there is no ink;
 * - `ink`: a second per-pixel gate multiplied into the features (`features`), so features live only on ink pixels;
 * - global average pooling, then `logits` with non-negative weights: each class score adds up evidence found on the
 *   shape, so hiding part of the shape can only take evidence away.
 * All weights are trained; the initial gates (weights 2.5..5, bias −2) start as thresholds at 0.4..0.8.
 */
export function buildNetwork(): tf.LayersModel {
  const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
  const gateInit = (seed: number) => tf.initializers.randomUniform({ minval: 2.5, maxval: 5, seed });
  const bias = tf.initializers.constant({ value: -2 });
  const image = tf.input({ shape: [SIZE, SIZE, 1], name: 'image' });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const gate = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', kernelInitializer: gateInit(11), biasInitializer: bias, name: 'gate' }), image);
  const conv1 = apply(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false, kernelInitializer: glorot(2), name: 'conv1' }), gate);
  const conv2 = apply(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false, kernelInitializer: glorot(3), name: 'conv2' }), conv1);
  const ink = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'relu', kernelInitializer: gateInit(12), biasInitializer: bias, name: 'ink' }), image);
  const features = apply(tf.layers.multiply({ name: 'features' }), [conv2, ink]);
  const pooled = apply(tf.layers.globalAveragePooling2d({ name: 'pool' }), features);
  const logits = apply(tf.layers.dense({
    units: CLASSES.length, name: 'logits',
    kernelInitializer: tf.initializers.randomUniform({ minval: 0, maxval: 0.5, seed: 4 }), kernelConstraint: tf.constraints.nonNeg(),
  }), pooled);
  return tf.model({ inputs: image, outputs: logits, name: 'shapes' });
}

/**
 * The tfjs network as ONNX (NCHW), layer by layer in topological order: Conv2D (+Relu), Multiply, global pooling +
 * Flatten, Dense as Gemm. Each layer's output is named after the layer, so the ONNX value names match tfjs' layers.
 */
export function toOnnx(model: tf.LayersModel): OnnxBuilder {
  const b = new OnnxBuilder('shapes').input('image', 'float32', ['N', 1, SIZE, SIZE]);
  b.producer = { name: 'model-inspector examples/train-example.ts', version: '1' };
  const names = new Map<string, string>(); // tfjs symbolic tensor name → ONNX value name
  const nameOf = (t: tf.SymbolicTensor) => names.get(t.name) ?? 'image';
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    const ins = ([] as tf.SymbolicTensor[]).concat(layer.input as tf.SymbolicTensor | tf.SymbolicTensor[]).map(nameOf);
    const out = layer.name;
    const w = layer.getWeights().map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
    const node = (op: string, inputs: string[], output: string, attrs: Record<string, number[] | number> = {}) =>
      b.node(op, inputs, [output], attrs, { name: `/${layer.name}/${op}` });
    if (cls === 'Conv2D') {
      const [kh, kw, cin, cout] = w[0].shape;
      const cfg = layer.getConfig() as { strides: number[]; activation: string; padding: string };
      const s = cfg.strides[0];
      const inSize = (layer.input as tf.SymbolicTensor).shape[1]!;
      // TF 'same' padding: total = (out-1)·s + k − in, the odd pixel goes at the end.
      const total = cfg.padding === 'same' ? Math.max((Math.ceil(inSize / s) - 1) * s + kh - inSize, 0) : 0;
      const pads = [Math.floor(total / 2), Math.floor(total / 2), total - Math.floor(total / 2), total - Math.floor(total / 2)];
      // HWIO → OIHW
      const oihw = new Float32Array(w[0].data.length);
      for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let h = 0; h < kh; h++) for (let v = 0; v < kw; v++) {
        oihw[((o * cin + i) * kh + h) * kw + v] = w[0].data[((h * kw + v) * cin + i) * cout + o];
      }
      b.initializer(`${out}.weight`, 'float32', [cout, cin, kh, kw], oihw);
      if (w[1]) b.initializer(`${out}.bias`, 'float32', [cout], w[1].data);
      const relu = cfg.activation === 'relu';
      if (!relu && cfg.activation !== 'linear') throw new Error(`toOnnx: no mapping for activation ${cfg.activation}`);
      node('Conv', [ins[0], `${out}.weight`, ...(w[1] ? [`${out}.bias`] : [])], relu ? `${out}.conv` : out, { kernel_shape: [kh, kw], pads, strides: [s, s] });
      if (relu) node('Relu', [`${out}.conv`], out);
    } else if (cls === 'Multiply') {
      node('Mul', ins, out);
    } else if (cls === 'GlobalMaxPooling2D' || cls === 'GlobalAveragePooling2D') {
      const op = cls === 'GlobalMaxPooling2D' ? 'GlobalMaxPool' : 'GlobalAveragePool';
      node(op, ins, `${out}.pooled`);
      node('Flatten', [`${out}.pooled`], out, { axis: 1 });
    } else if (cls === 'Dense') {
      b.initializer(`${out}.weight`, 'float32', w[0].shape, w[0].data).initializer(`${out}.bias`, 'float32', [w[1].shape[0]], w[1].data);
      node('Gemm', [ins[0], `${out}.weight`, `${out}.bias`], out);
    } else {
      throw new Error(`toOnnx: no mapping for layer ${cls}`);
    }
    names.set((layer.output as tf.SymbolicTensor).name, out);
  }
  const last = names.get((model.outputs[0]).name)!;
  return b.output(last, 'float32', ['N', CLASSES.length]).metadata('labels', CLASSES.join(','));
}

/** NHWC [n,32,32,1] batch → NCHW is the same bytes for one channel; only the declared shape differs. */
function batchOf(samples: { pixels: Float32Array }[]): Float32Array {
  const out = new Float32Array(samples.length * SIZE * SIZE);
  samples.forEach((s, i) => out.set(s.pixels, i * SIZE * SIZE));
  return out;
}

async function main(): Promise<void> {
  // WASM trains this full-resolution network about 20 times faster than the pure-JS CPU backend (a minute or so).
  registerWasmConv2dFilterGrad();
  await tf.setBackend('wasm');
  const t0 = performance.now();
  // Backgrounds of 0.3..0.6 in training (0.3 everywhere else) teach the gates to sit above any background.
  const noise = shapesRng(77);
  const train = makeShapes(Number(process.env.SAMPLES ?? 900), 1, () => 0.3 + 0.3 * noise());
  // A fixed shuffle (tfjs' own shuffle uses Math.random).
  const next = shapesRng(2);
  for (let i = train.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [train[i], train[j]] = [train[j], train[i]];
  }
  const xs = tf.tensor4d(batchOf(train), [train.length, SIZE, SIZE, 1]);
  const ys = tf.oneHot(tf.tensor1d(train.map((s) => s.label), 'int32'), CLASSES.length);
  const model = buildNetwork();
  model.compile({ optimizer: tf.train.adam(0.01), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p), metrics: ['accuracy'] });
  await model.fit(xs, ys, {
    epochs: Number(process.env.EPOCHS ?? 6), batchSize: 50, shuffle: false, verbose: 0,
    callbacks: { onEpochEnd: (e, logs) => console.log(`epoch ${e + 1}: loss ${logs?.loss.toFixed(4)} acc ${logs?.acc?.toFixed(3)}`) },
  });
  const test = makeShapes(300, 9001);
  const logits = model.predict(tf.tensor4d(batchOf(test), [test.length, SIZE, SIZE, 1])) as tf.Tensor;
  const pred = (await logits.argMax(1).data()) as Int32Array;
  const acc = test.filter((s, i) => pred[i] === s.label).length / test.length;
  console.log(`held-back accuracy ${(acc * 100).toFixed(1)}% (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  mkdirSync(join(OUT, 'tfjs'), { recursive: true });
  const onnxPath = writeModel(OUT, 'model.onnx', toOnnx(model));
  const session = await ort.InferenceSession.create(onnxPath);
  const probe = test.slice(0, 16);
  const r = await session.run({ image: new ort.Tensor('float32', batchOf(probe), [probe.length, 1, SIZE, SIZE]) });
  const want = (model.predict(tf.tensor4d(batchOf(probe), [probe.length, SIZE, SIZE, 1])) as tf.Tensor).dataSync();
  const got = r.logits.data as Float32Array;
  const err = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
  console.log(`ONNX vs tfjs max abs diff ${err.toExponential(2)}`);
  if (err > 1e-4) throw new Error('ONNX export does not match tfjs');
  await session.release();
  await saveLayersModel(model, join(OUT, 'tfjs'));
  writeFileSync(join(OUT, 'tfjs', 'labels.txt'), CLASSES.join('\n') + '\n');
  writeFileSync(join(OUT, 'labels.txt'), CLASSES.join('\n') + '\n');
  for (let c = 0; c < CLASSES.length; c++) {
    const s = test.find((t) => t.label === c)!;
    writeFileSync(join(OUT, `${CLASSES[c]}.npy`), encodeNpy({ dtype: 'float32', shape: [1, 1, SIZE, SIZE], data: s.pixels }));
    // One channel: NHWC holds the same values in the same order.
    writeFileSync(join(OUT, 'tfjs', `${CLASSES[c]}.npy`), encodeNpy({ dtype: 'float32', shape: [1, SIZE, SIZE, 1], data: s.pixels }));
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
