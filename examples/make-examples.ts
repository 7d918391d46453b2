// Writes the committed example models (rerun after changing this file):
//   node --import tsx examples/make-examples.ts
// - examples/tiny-cnn.onnx: Conv → Relu → MaxPool → Flatten → Gemm → Softmax on a 1×1×8×8 image (a few KB).
// - examples/tiny-mlp-tfjs/: a TF.js Layers model (model.json + one weight shard), Dense(8, relu) → Dense(3, softmax).
// Weights come from a fixed-seed generator so the files are byte-identical on every run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import * as tf from '@tensorflow/tfjs';
// The same seeded generator the runtime uses for synthesized inputs: examples must not change between runs.
import { rng } from '../src/runtime/synthesize';

const here = __dirname;

function floats(n: number, scale: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

function initializer(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) };
}

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function ints(name: string, v: number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
}

function tinyCnn(): Uint8Array {
  const next = rng(42);
  const graph: onnx.IGraphProto = {
    name: 'tiny_cnn',
    input: [valueInfo('image', [1, 1, 8, 8])],
    output: [valueInfo('probabilities', [1, 10])],
    initializer: [
      initializer('conv.weight', [4, 1, 3, 3], floats(36, 0.5, next)),
      initializer('conv.bias', [4], floats(4, 0.1, next)),
      initializer('fc.weight', [10, 64], floats(640, 0.2, next)),
      initializer('fc.bias', [10], floats(10, 0.1, next)),
    ],
    node: [
      { name: 'conv', opType: 'Conv', input: ['image', 'conv.weight', 'conv.bias'], output: ['conv_out'], attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])] },
      { name: 'relu', opType: 'Relu', input: ['conv_out'], output: ['relu_out'] },
      { name: 'pool', opType: 'MaxPool', input: ['relu_out'], output: ['pool_out'], attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
      { name: 'flatten', opType: 'Flatten', input: ['pool_out'], output: ['flat'] },
      { name: 'fc', opType: 'Gemm', input: ['flat', 'fc.weight', 'fc.bias'], output: ['logits'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
      { name: 'softmax', opType: 'Softmax', input: ['logits'], output: ['probabilities'] },
    ],
  };
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'model-inspector examples',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    docString: 'Tiny CNN for trying Model Inspector',
    graph,
  };
  return onnx.ModelProto.encode(model).finish();
}

async function tinyMlpTfjs(dir: string): Promise<void> {
  await tf.setBackend('cpu');
  const next = rng(7);
  const model = tf.sequential({ name: 'tiny_mlp' });
  model.add(tf.layers.dense({ name: 'hidden', units: 8, activation: 'relu', inputShape: [4] }));
  model.add(tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' }));
  // Replace tfjs' random initial weights with seeded ones so the shard is reproducible.
  model.setWeights(model.getWeights().map((w) => tf.tensor(floats(w.size, 0.5, next), w.shape)));
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (art) => {
      const shard = 'group1-shard1of1.bin';
      writeFileSync(join(dir, shard), new Uint8Array(art.weightData as ArrayBuffer));
      const json = {
        format: 'layers-model',
        generatedBy: art.generatedBy,
        convertedBy: null,
        modelTopology: art.modelTopology,
        weightsManifest: [{ paths: [shard], weights: art.weightSpecs }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json, null, 1) + '\n');
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
}

async function main(): Promise<void> {
  writeFileSync(join(here, 'tiny-cnn.onnx'), tinyCnn());
  await tinyMlpTfjs(join(here, 'tiny-mlp-tfjs'));
  console.log('wrote examples/tiny-cnn.onnx and examples/tiny-mlp-tfjs/');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
