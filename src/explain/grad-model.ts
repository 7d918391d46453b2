import * as tf from '@tensorflow/tfjs';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import { formatOf } from '../formats/registry';
import { backendWith } from '../runtime/backends/registry';
import { loadTfjsModel } from '../runtime/backends/tfjs/session';
import { loadDifferentiable, UnsupportedOperatorError } from './onnx-executor';
import { toTfTensor } from './onnx-executor/load-tensor';

/**
 * A model seen as a differentiable function of one input: the gradient methods need nothing else. Both TF.js Layers
 * models (tf.LayersModel) and ONNX models (through the differentiable executor) provide it.
 */
export interface GradModel {
  /** The first output (the logits feeding it when it is a Softmax), for input `x` (other inputs held at their fed values); optionally an intermediate too. */
  forward(x: tf.Tensor, layer?: string): { y: tf.Tensor; act?: tf.Tensor };
  /** Layers/values with a spatial (rank-4) output, in graph order: Grad-CAM candidates. */
  spatialLayers(): string[];
  /** Re-draws the weights of the last `k` weighted layers (sanity check); returns a function restoring them. */
  randomizeTop(k: number, seed: number): Promise<() => void>;
  dispose(): void;
}

/**
 * Random normal weights, zero-mean, with the tensor's own root-mean-square as their std, so activations keep their
 * scale. (The std about the tensor's mean would shrink a tensor of like-signed values, or a single value, to almost
 * nothing: a dead layer and a flat map, which "passes" the check for no reason.)
 */
function redraw(t: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const rms = t.square().mean().sqrt().dataSync()[0] || 0.05;
    return tf.randomNormal(t.shape, 0, rms, 'float32', seed);
  });
}

class TfjsGradModel implements GradModel {
  private readonly taps = new Map<string, tf.LayersModel>();
  constructor(private readonly m: tf.LayersModel, private readonly fixed: tf.Tensor[], private readonly inputIndex: number) {}

  private feeds(x: tf.Tensor): tf.Tensor | tf.Tensor[] {
    if (this.m.inputs.length === 1) return x;
    return this.fixed.map((t, i) => (i === this.inputIndex ? x : t));
  }

  forward(x: tf.Tensor, layer?: string): { y: tf.Tensor; act?: tf.Tensor } {
    if (!layer) {
      const r = this.m.apply(this.feeds(x), { training: false }) as tf.Tensor | tf.Tensor[];
      return { y: Array.isArray(r) ? r[0] : r };
    }
    let tap = this.taps.get(layer);
    if (!tap) {
      const l = this.m.getLayer(layer);
      tap = tf.model({ inputs: this.m.inputs, outputs: [l.output as tf.SymbolicTensor, this.m.outputs[0]] });
      this.taps.set(layer, tap);
    }
    const [act, y] = tap.apply(this.feeds(x), { training: false }) as tf.Tensor[];
    return { y, act };
  }

  spatialLayers(): string[] {
    return this.m.layers.filter((l) => {
      const s = l.outputShape as (number | null)[];
      return Array.isArray(s) && s.length === 4 && !Array.isArray(s[0]) && l.getClassName() !== 'InputLayer';
    }).map((l) => l.name);
  }

  async randomizeTop(k: number, seed: number): Promise<() => void> {
    const weighted = this.m.layers.filter((l) => l.getWeights().length > 0).slice(-k);
    const saved = weighted.map((l) => l.getWeights().map((w) => w.clone()));
    weighted.forEach((l, i) => l.setWeights(l.getWeights().map((w, j) => redraw(w, seed + i * 31 + j))));
    return () => weighted.forEach((l, i) => l.setWeights(saved[i]));
  }

  dispose(): void {
    tf.dispose(this.fixed);
    this.m.dispose();
  }
}

class OnnxGradModel implements GradModel {
  /** What gradients differentiate: the first output, or the logits feeding it when it comes out of a Softmax. */
  private readonly scored: string;
  private spatial: string[] | undefined;
  constructor(
    private readonly dm: Awaited<ReturnType<typeof loadDifferentiable>>,
    private readonly model: Model,
    private readonly inputName: string,
    private readonly fixed: Record<string, tf.Tensor>,
  ) {
    // The softmax probability of a confident prediction is flat (its gradient vanishes); the logit's is not.
    const out = dm.outputNames[0];
    const softmax = model.graph.nodes.find((n) => n.outputs[0] === out && n.opType === 'Softmax');
    this.scored = softmax?.inputs[0] ?? out;
  }

  forward(x: tf.Tensor, layer?: string): { y: tf.Tensor; act?: tf.Tensor } {
    const extra = [...(this.scored !== this.dm.outputNames[0] ? [this.scored] : []), ...(layer ? [layer] : [])];
    const r = this.dm.run({ ...this.fixed, [this.inputName]: x }, extra);
    return { y: r[this.scored], act: layer ? r[layer] : undefined };
  }

  spatialLayers(): string[] {
    // Shapes as computed on this input (declared shapes are often missing and shape inference is not ours): every
    // node output of rank 4 with a spatial extent, in graph order. Any op qualifies (Conv, Relu, Mul, Add, ...).
    // One forward pass, once: the sanity check asks again for the randomized model, whose shapes are the same.
    this.spatial ??= [...this.dm.shapes(this.fixed)].filter(([, s]) => s.length === 4 && s[2] > 1 && s[3] > 1).map(([name]) => name);
    return this.spatial;
  }

  async randomizeTop(k: number, seed: number): Promise<() => void> {
    // Weights in graph order, grouped per node: the last k weighted nodes. Originals come back from the IR.
    const names = new Set(this.dm.weightNames());
    const groups = this.model.graph.nodes.map((n) => n.inputs.filter((i) => names.has(i))).filter((g) => g.length > 0).slice(-k);
    const saved: Record<string, tf.Tensor> = {};
    const fresh: Record<string, tf.Tensor> = {};
    for (const name of groups.flat()) {
      const t = this.model.graph.initializers.find((i) => i.name === name)!;
      saved[name] = await toTfTensor(t, this.model.path);
      fresh[name] = redraw(saved[name], seed + Object.keys(fresh).length * 31);
    }
    this.dm.setWeights(fresh);
    tf.dispose(Object.values(fresh));
    return () => {
      this.dm.setWeights(saved);
      tf.dispose(Object.values(saved));
    };
  }

  dispose(): void {
    tf.dispose(Object.values(this.fixed));
    this.dm.dispose();
  }
}

export interface GradModelSource {
  /** The opened model: its format picks TF.js layers or the ONNX executor. */
  model: Model;
  /** Which graph input is explained. */
  inputName: string;
  /** Every input's fed value (others are held fixed). */
  feeds: Record<string, tf.Tensor>;
}

/** Loads the differentiable form of a model, or explains in one line why gradient methods cannot run on it. */
export async function loadGradModel(src: GradModelSource): Promise<GradModel> {
  const path = src.model.path;
  backendWith(src.model, 'gradients', 'Gradient saliency');
  // The differentiable form comes from what the format gives: tfjs artifacts (a Layers model), else the ONNX IR,
  // which the executor maps onto tfjs ops.
  const artifacts = formatOf(src.model).runs.artifacts;
  if (artifacts) {
    const m = await loadTfjsModel(path, await artifacts(src.model));
    if (!(m instanceof tf.LayersModel)) {
      m.dispose();
      throw new ModelError(path, 'is a TF.js graph model; gradient methods need a Layers model (occlusion and RISE work on any model)');
    }
    const idx = Math.max(0, m.inputNames.indexOf(src.inputName));
    return new TfjsGradModel(m, m.inputNames.map((n) => src.feeds[n]), idx);
  }
  if (src.model.format !== 'onnx') throw new ModelError(path, 'has no differentiable form');
  try {
    const dm = await loadDifferentiable(src.model);
    return new OnnxGradModel(dm, src.model, src.inputName, src.feeds);
  } catch (e) {
    if (e instanceof UnsupportedOperatorError) {
      throw new ModelError(path, `gradient methods cannot run: unsupported operator(s) ${e.ops.join(', ')} (occlusion and RISE still work)`);
    }
    throw e;
  }
}
