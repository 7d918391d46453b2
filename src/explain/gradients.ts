import * as tf from '@tensorflow/tfjs';
import type { GradModel } from './grad-model';
import { rng } from '../runtime/synthesize';

// Gradient methods on a GradModel, for one input sample `x` (batch 1) and one target index of the first output.
// Samples of SmoothGrad and IG go through the batch dimension in chunks, one backward pass per chunk.

const CHUNK = 16;

/** Target score per sample: the output flattened per sample, column `target` (a logit, not a softmax). */
function targetScore(y: tf.Tensor, target: number): tf.Tensor {
  const n = y.shape[0] ?? 1;
  return y.reshape([n, -1]).slice([0, target], [n, 1]).sum();
}

/** d score / d input for every sample in `xs` (each of x's shape), chunked through the batch dimension. */
export function gradients(gm: GradModel, xs: Float32Array[], shape: number[], target: number, batchable: boolean): Float32Array[] {
  const out: Float32Array[] = [];
  const per = shape.slice(1);
  const chunk = batchable ? CHUNK : 1;
  for (let i = 0; i < xs.length; i += chunk) {
    const part = xs.slice(i, i + chunk);
    const flat = new Float32Array(part.length * part[0].length);
    part.forEach((p, k) => flat.set(p, k * p.length));
    const g = tf.tidy(() => {
      const x = tf.tensor(flat, [part.length, ...per], 'float32');
      return tf.grad((xx: tf.Tensor) => targetScore(gm.forward(xx).y, target))(x);
    });
    const data = g.dataSync() as Float32Array;
    g.dispose();
    part.forEach((p, k) => out.push(data.slice(k * p.length, (k + 1) * p.length)));
  }
  return out;
}

export function vanilla(gm: GradModel, x: Float32Array, shape: number[], target: number): Float32Array {
  return gradients(gm, [x], shape, target, false)[0];
}

export function gradXInput(gm: GradModel, x: Float32Array, shape: number[], target: number): Float32Array {
  const g = vanilla(gm, x, shape, target);
  return g.map((v, i) => v * x[i]);
}

/** Mean gradient over `samples` copies of x with Gaussian noise of std `noise`·(max − min) of x. */
export function smoothGrad(gm: GradModel, x: Float32Array, shape: number[], target: number, o: { noise: number; samples: number; seed: number; batchable: boolean }): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const sigma = o.noise * (hi - lo || 1);
  const next = rng(o.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  const xs = Array.from({ length: o.samples }, () => x.map((v) => v + sigma * gauss()));
  const gs = gradients(gm, xs, shape, target, o.batchable);
  const acc = new Float32Array(x.length);
  for (const g of gs) for (let i = 0; i < g.length; i++) acc[i] += g[i] / gs.length;
  return acc;
}

/** Integrated Gradients: (x − b) · mean of the gradients at the `steps` midpoints of the straight path b → x. */
export function integratedGradients(gm: GradModel, x: Float32Array, baseline: Float32Array, shape: number[], target: number, o: { steps: number; batchable: boolean }): Float32Array {
  const xs = Array.from({ length: o.steps }, (_, k) => {
    const a = (k + 0.5) / o.steps;
    return x.map((v, i) => baseline[i] + a * (v - baseline[i]));
  });
  const gs = gradients(gm, xs, shape, target, o.batchable);
  const out = new Float32Array(x.length);
  for (const g of gs) for (let i = 0; i < g.length; i++) out[i] += g[i] / gs.length;
  return out.map((v, i) => v * (x[i] - baseline[i]));
}

/**
 * Grad-CAM: ReLU(Σ_c α_c A_c) with α_c the spatial mean of d score / d A_c, upsampled bilinearly to H×W.
 * `channelsLast`: the layer's activation is NHWC (TF.js) rather than NCHW (ONNX).
 */
export function gradCam(gm: GradModel, x: Float32Array, shape: number[], target: number, layer: string, channelsLast: boolean, H: number, W: number): Float32Array {
  // tf.grad only differentiates with respect to its arguments; the activation is made inside the forward pass, so we
  // ask the engine's tape directly, filling in the tensor once the forward pass created it.
  const engine = tf.engine() as unknown as { gradients(f: () => tf.Tensor, xs: tf.Tensor[]): { value: tf.Tensor; grads: tf.Tensor[] } };
  const input = tf.tensor(x, shape, 'float32');
  const xs: tf.Tensor[] = [input];
  let act: tf.Tensor | undefined;
  const { value, grads } = engine.gradients(() => {
    const r = gm.forward(input, layer);
    act = tf.keep(r.act!);
    xs[0] = act;
    return targetScore(r.y, target);
  }, xs);
  const cam = tf.tidy(() => {
    const g = channelsLast ? grads[0] : grads[0].transpose([0, 2, 3, 1]);
    const a = channelsLast ? act! : act!.transpose([0, 2, 3, 1]);
    const alpha = g.mean([1, 2], true); // [1,1,1,C]
    const map = a.mul(alpha).sum(3, true).relu(); // [1,h,w,1]
    // Half-pixel centres: cell i of an s-times smaller map sits at pixel s·i + (s − 1)/2, as it does in the network
    // (corner alignment would stretch the map and shift it towards the top-left).
    return tf.image.resizeBilinear(map as tf.Tensor4D, [H, W], false, true).reshape([H * W]);
  });
  const data = cam.dataSync() as Float32Array;
  tf.dispose([cam, value, ...grads, act!, input]);
  return Float32Array.from(data);
}
