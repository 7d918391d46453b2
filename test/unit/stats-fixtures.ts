// Builds small IR models in memory for the stats tests: real ByteSources over real bytes, wired by linkGraph.
import type { DType } from '../../src/model/dtype';
import type { Attribute, Model, Node } from '../../src/model/graph';
import { linkGraph } from '../../src/model/link';
import type { ByteSource, Quantization, Tensor } from '../../src/model/tensor';

/** A ByteSource over bytes placed at an odd offset of a larger buffer, as raw_data inside a model file is. */
export function memSource(bytes: Uint8Array, misalign = true): ByteSource {
  const pad = misalign ? 1 : 0;
  const host = new Uint8Array(bytes.length + pad);
  host.set(bytes, pad);
  const view = host.subarray(pad);
  return {
    byteLength: view.length,
    read: async (offset, length) => view.subarray(offset, offset + length),
  };
}

export function tensor(name: string, dtype: DType, shape: number[], bytes: Uint8Array, extra: { quantization?: Quantization; storedDType?: DType } = {}): Tensor {
  return { name, dtype, shape, elementCount: shape.reduce((a, b) => a * b, 1), location: 'inline', data: memSource(bytes), ...extra };
}

export const f32 = (name: string, shape: number[], values: ArrayLike<number>): Tensor =>
  tensor(name, 'float32', shape, new Uint8Array(Float32Array.from(values).buffer));

export function node(id: string, opType: string, inputs: string[], scope = '', attributes: Attribute[] = []): Node {
  return { id, opType, domain: '', name: id, scope, inputs, outputs: [`${id}:out`], attributes, subgraphs: [] };
}

export function irModel(initializers: Tensor[], nodes: Node[] = [], format: Model['format'] = 'onnx'): Model {
  const graph = linkGraph({ name: 'main', nodes, declared: [], inputs: ['x'], outputs: nodes.map((n) => n.outputs[0]), initializers });
  return { format, path: '/tmp/test.onnx', opsets: [], metadata: {}, graph, functions: [], warnings: [] };
}

/** Deterministic standard-normal-ish values (Box-Muller over a fixed LCG) so failures reproduce. */
export function normals(n: number, seed = 1, scale = 1, mean = 0): Float32Array {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mean + scale * Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  return out;
}

/** Population mean/std by the textbook two passes, in float64. */
export function direct(values: ArrayLike<number>): { n: number; min: number; max: number; mean: number; std: number; l2: number; zeros: number } {
  const finite = Array.from(values).filter(Number.isFinite);
  const n = finite.length;
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { n, min: finite.reduce((a, b) => Math.min(a, b), Infinity), max: finite.reduce((a, b) => Math.max(a, b), -Infinity), mean, std, l2: Math.sqrt(finite.reduce((a, b) => a + b * b, 0)), zeros: finite.filter((v) => v === 0).length };
}
