// Trains the saliency example model and writes it twice (rerun after changing this file or shapes-data.ts):
//   node --import tsx examples/train-example.ts
// - examples/shapes/tfjs/: TF.js Layers model (model.json + one shard), input [N,32,32,1] (NHWC), output logits [N,3].
// - examples/shapes/model.onnx: the same network in NCHW (input [N,1,32,32]), kernels transposed; checked against
//   the tfjs outputs with onnxruntime before anything is written.
// - examples/shapes/{square,cross,circle}.npy: one held-back image per class in the ONNX layout, for the CLI.
// The classes depend only on the drawn shape (see shapes-data.ts). Seeded initialisers and a fixed sample order make
// the run repeatable; tfjs' CPU kernels are deterministic.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { OnnxBuilder, writeModel } from '../test/support/onnx-builder';
import { saveLayersModel } from '../test/support/tfjs-fixtures';
import { encodeNpy } from '../src/formats/arrays/npy';
import { CLASSES, SIZE, makeShapes, shapesRng } from './shapes-data';

const OUT = join(__dirname, 'shapes');

export function buildNetwork(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const conv = (filters: number, kernelSize: number, strides: number, seed: number, inputShape?: number[]) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', activation: 'relu', kernelInitializer: init(seed), ...(inputShape ? { inputShape } : {}) });
  // Strided convolutions instead of pooling: tfjs' pure-JS backprop is slow, and this trains in about a minute.
  return tf.sequential({
    name: 'shapes',
    layers: [
      conv(8, 5, 2, 1, [SIZE, SIZE, 1]),
      conv(16, 3, 2, 2),
      conv(16, 3, 1, 3),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: CLASSES.length, kernelInitializer: init(4), name: 'logits' }),
    ],
  });
}

/** The tfjs network as ONNX (NCHW): three Conv/Relu (two strided), GlobalMaxPool, Flatten, Gemm. */
export function toOnnx(model: tf.LayersModel): OnnxBuilder {
  const b = new OnnxBuilder('shapes').input('image', 'float32', ['N', 1, SIZE, SIZE]);
  b.producer = { name: 'model-inspector examples/train-example.ts', version: '1' };
  let x = 'image';
  let k = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const w = layer.getWeights().map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
    if (cls === 'Conv2D') {
      const [kh, kw, cin, cout] = w[0].shape;
      const cfg = layer.getConfig() as { strides: number[] };
      const s = cfg.strides[0];
      const inSize = (layer.input as tf.SymbolicTensor).shape[1]!;
      // TF 'same' padding: total = (out-1)·s + k − in, the odd pixel goes at the end.
      const total = Math.max((Math.ceil(inSize / s) - 1) * s + kh - inSize, 0);
      const pads = [Math.floor(total / 2), Math.floor(total / 2), total - Math.floor(total / 2), total - Math.floor(total / 2)];
      // HWIO → OIHW
      const oihw = new Float32Array(w[0].data.length);
      for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) for (let h = 0; h < kh; h++) for (let v = 0; v < kw; v++) {
        oihw[((o * cin + i) * kh + h) * kw + v] = w[0].data[((h * kw + v) * cin + i) * cout + o];
      }
      b.initializer(`conv${k}.weight`, 'float32', [cout, cin, kh, kw], oihw).initializer(`conv${k}.bias`, 'float32', [cout], w[1].data);
      b.node('Conv', [x, `conv${k}.weight`, `conv${k}.bias`], [`conv${k}`], { kernel_shape: [kh, kw], pads, strides: [s, s] }, { name: `/conv${k}/Conv` });
      b.node('Relu', [`conv${k}`], [`relu${k}`], {}, { name: `/conv${k}/Relu` });
      x = `relu${k}`;
    } else if (cls === 'GlobalMaxPooling2D') {
      b.node('GlobalMaxPool', [x], ['gap'], {}, { name: '/gap/GlobalMaxPool' });
      b.node('Flatten', ['gap'], ['features'], { axis: 1 }, { name: '/gap/Flatten' });
      x = 'features';
    } else if (cls === 'Dense') {
      b.initializer('fc.weight', 'float32', w[0].shape, w[0].data).initializer('fc.bias', 'float32', [w[1].shape[0]], w[1].data);
      b.node('Gemm', [x, 'fc.weight', 'fc.bias'], ['logits'], {}, { name: '/fc/Gemm' });
      x = 'logits';
    } else {
      throw new Error(`toOnnx: no mapping for layer ${cls}`);
    }
    k++;
  }
  return b.output('logits', 'float32', ['N', CLASSES.length]).metadata('labels', CLASSES.join(','));
}

/** NHWC [n,32,32,1] batch → NCHW is the same bytes for one channel; only the declared shape differs. */
function batchOf(samples: { pixels: Float32Array }[]): Float32Array {
  const out = new Float32Array(samples.length * SIZE * SIZE);
  samples.forEach((s, i) => out.set(s.pixels, i * SIZE * SIZE));
  return out;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const t0 = performance.now();
  const train = makeShapes(Number(process.env.SAMPLES ?? 900), 1);
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
    epochs: Number(process.env.EPOCHS ?? 4), batchSize: 50, shuffle: false, verbose: 0,
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
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
