// Real model pairs for the compare tests, written with the ONNX builder: an MLP, its perturbed copy, an fp16 copy.
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import type { DType } from '../../src/model/dtype';
import type { Storage } from '../support/onnx-builder';

/** Seeded uniform values in [-scale, scale) (mulberry32), independent of the code under test. */
export function noise(n: number, seed: number, scale = 0.5): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1) * scale;
  }
  return out;
}

export interface MlpLayer {
  name: string;
  inDim: number;
  outDim: number;
  weight: Float32Array; // [in, out] for MatMul
  bias: Float32Array;
}

/** Layers of an MLP x[1, dims[0]] → … → dims[last], weights seeded per layer. */
export function mlpLayers(dims: number[], seed = 1): MlpLayer[] {
  return dims.slice(1).map((out, i) => ({
    name: `fc${i + 1}`, inDim: dims[i], outDim: out,
    weight: noise(dims[i] * out, seed * 1000 + i, 1 / Math.sqrt(dims[i])),
    bias: noise(out, seed * 1000 + 500 + i, 0.1),
  }));
}

export interface MlpOptions {
  dtype?: DType;
  /** Storage of each weight (external goes to weights.bin next to the model). */
  storage?: Storage;
  /** Node names as "/<layer>/MatMul" (scope = layer) — default — or a renaming function for layer names. */
  rename?: (layer: string) => string;
  /** Every node output becomes a graph output too (for the tests' own reference run). */
  allOutputs?: boolean;
  /**
   * After the first layer's Add: + 2049.2 then − 2049 (net +0.2). In fp16 (ulp 2 at 2048) the constants round to 2050
   * and 2048 (net +2): constants that lose their meaning in fp16, as offsets and epsilons do.
   */
  shift?: boolean;
}

/** y = fcN(…relu(fc1(x))): MatMul + Add (+ Relu between layers), PyTorch-exporter-like names. */
export function mlpModel(layers: MlpLayer[], opts: MlpOptions = {}): OnnxBuilder {
  const dtype = opts.dtype ?? 'float32';
  const rn = opts.rename ?? ((s: string) => s);
  const b = new OnnxBuilder('mlp').input('x', dtype, [1, layers[0].inDim]);
  let cur = 'x';
  const extra: string[] = [];
  layers.forEach((l, i) => {
    const n = rn(l.name);
    b.initializer(`${n}.weight`, dtype, [l.inDim, l.outDim], l.weight, { storage: opts.storage });
    b.initializer(`${n}.bias`, dtype, [l.outDim], l.bias, { storage: opts.storage });
    b.node('MatMul', [cur, `${n}.weight`], [`/${n}/MatMul_output_0`], {}, { name: `/${n}/MatMul` });
    b.node('Add', [`/${n}/MatMul_output_0`, `${n}.bias`], [`/${n}/Add_output_0`], {}, { name: `/${n}/Add` });
    extra.push(`/${n}/MatMul_output_0`);
    cur = `/${n}/Add_output_0`;
    if (i === 0 && opts.shift) {
      b.initializer('shift.up', dtype, [1], [2049.2]);
      b.initializer('shift.down', dtype, [1], [2049]);
      b.node('Add', [cur, 'shift.up'], ['/shift/Add_output_0'], {}, { name: '/shift/Add' });
      b.node('Sub', ['/shift/Add_output_0', 'shift.down'], ['/shift/Sub_output_0'], {}, { name: '/shift/Sub' });
      extra.push(cur, '/shift/Add_output_0');
      cur = '/shift/Sub_output_0';
    }
    if (i < layers.length - 1) {
      extra.push(cur);
      b.node('Relu', [cur], [`/${n}/Relu_output_0`], {}, { name: `/${n}/Relu` });
      cur = `/${n}/Relu_output_0`;
    }
  });
  b.node('Identity', [cur], ['y'], {}, { name: '/out/Identity' });
  extra.push(cur);
  b.output('y', dtype, [1, layers[layers.length - 1].outDim]);
  if (opts.allOutputs) for (const v of extra) b.output(v, dtype);
  return b;
}

export function writeMlp(dir: string, name: string, layers: MlpLayer[], opts: MlpOptions = {}): string {
  return writeModel(dir, name, mlpModel(layers, opts), { externalData: `${name}.weights.bin` });
}
