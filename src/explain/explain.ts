import * as tf from '@tensorflow/tfjs';
import type { Model } from '../model/graph';
import { ModelError, oneLine } from '../model/errors';
import { isFloatDType } from '../model/dtype';
import type { NdArray } from '../formats/arrays/ndarray';
import { sessions } from '../runtime/load';
import { formatOf } from '../formats/registry';
import { withModel, type ModelRef } from '../runtime/model-ref';
import { planInputs } from '../runtime/inputs';
import type { ExplainMap, ExplainMethod, ExplainParams, ExplainResult } from '../protocol/explain';
import { GRADIENT_METHODS } from '../protocol/explain';
import { rng } from '../runtime/synthesize';
import { selectTfjsBackend } from '../runtime/backends/tfjs/backend';
import type { GradModel } from './grad-model';
import { loadGradModel } from './grad-model';
import { gradCam, gradXInput, integratedGradients, smoothGrad, vanilla } from './gradients';
import type { InputLayout } from './layout';
import { blurred, inputLayout, reduceToMap } from './layout';
import { withKernelFallback } from './kernel-fallback';
import { occlusion } from './occlusion';
import { rise } from './rise';
import { batchSizeFor, gradForward, isProbabilities, scoreArrays, Scoring, sessionForward, toFloat32 } from './scoring';
import { completeness, deletionInsertion, spearman } from './quality';
import { findLabels } from '../runtime/labels';
import { softmax } from '../runtime/output-summary';

export interface ExplainRunOptions extends ExplainParams {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

/** Full-resolution result for the CLI (`attribution` keeps the unreduced values for non-image inputs). */
export interface ExplainFull extends ExplainResult {
  full: Map<ExplainMethod, Float32Array>;
}

/** The result as it crosses a channel: everything but the full-resolution maps (which stay where they were made). */
export function wireResult(r: ExplainFull): ExplainResult {
  const out: ExplainResult & { full?: unknown } = { ...r };
  delete out.full;
  return out;
}

/**
 * Occlusion's default window: a tenth of the image's shorter side (at least 2 px; 6 for 64 px, 22 for 224 px, where a
 * fixed 6 px window moved 3 px would cost 5,476 forward passes), or of a non-image input's length (at least 1).
 */
export function defaultWindow(lay: InputLayout): number {
  if (lay.image) return Math.max(2, Math.round(Math.min(lay.height!, lay.width!) / 10));
  return Math.max(1, Math.round(lay.units / 10));
}

/** A plain array of the values (for the wire); Array.from walks a typed array through its iterator, ~10x slower. */
function numbers(a: Float32Array): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

/** The image's pixels averaged over channels (the backdrop the webview draws maps on). */
function channelMean(x: Float32Array, lay: InputLayout): number[] {
  const sums = reduceToMap(x, lay, 'signed');
  const C = x.length / lay.units;
  const out = new Array<number>(sums.length);
  for (let u = 0; u < sums.length; u++) out[u] = sums[u] / C;
  return out;
}

const SIGNED: Record<ExplainMethod, boolean> = { vanilla: false, gradxinput: true, smoothgrad: false, ig: true, gradcam: false, occlusion: true, rise: false };

/**
 * Explains one input sample: loads (or reuses) the runtime session, plans inputs like `run`, picks the target, then
 * computes each method's map with its quality numbers.
 */
/**
 * ", about 2 min left" for a method that has done share `f` of its work in `spentMs`, assuming it keeps its pace;
 * nothing in its first 2 s (too early to tell) or when done.
 */
export function timeLeftText(f: number, spentMs: number): string {
  if (!(f > 0 && f < 1) || spentMs < 2000) return '';
  const left = (spentMs / f - spentMs) / 1000;
  return `, about ${left < 90 ? `${Math.max(1, Math.round(left))} s` : `${Math.round(left / 60)} min`} left`;
}

export function explainModel(ref: ModelRef, p: ExplainRunOptions): Promise<ExplainFull> {
  return withModel(ref, (model) => explainOpened(model, p));
}

async function explainOpened(model: Model, p: ExplainRunOptions): Promise<ExplainFull> {
  const path = model.path;
  const o = p.options ?? {};
  p.onProgress?.(0, 'loading model');
  const { session } = await sessions.get(model, { providers: p.providers });
  const plan = await planInputs(session.inputs, p.inputs ?? [], { synth: p.synth, seed: p.seed, dims: p.dims, model, modelPath: path });
  const info = session.inputs.find((i) => isFloatDType(i.dtype) || i.dtype === 'unknown');
  if (!info) throw new ModelError(path, 'has no floating-point input to explain');
  const arr = plan.feeds.get(info.name)!;
  if (arr.shape[0] !== 1 && arr.shape.length > 1) throw new ModelError(path, `explains one sample at a time; input "${info.name}" has batch ${arr.shape[0]}`);
  const x = toFloat32(arr).slice();
  // IG's baseline from a file (image or array) is planned like an input, then must have the explained input's shape.
  let fileBaseline: Float32Array | undefined;
  if (o.baselineFile && p.methods.includes('ig')) {
    const planned = await planInputs(session.inputs, [{ name: info.name, file: o.baselineFile }], { dims: p.dims, model, modelPath: path, seed: p.seed });
    const b = planned.feeds.get(info.name)!;
    if (b.shape.join() !== arr.shape.join()) {
      throw new ModelError(o.baselineFile, `has shape [${b.shape.join(', ')}]; an IG baseline needs the shape of input "${info.name}", [${arr.shape.join(', ')}]`);
    }
    fileBaseline = toFloat32(b);
  }
  const shape = arr.shape;
  const feeds = new Map<string, NdArray>([...plan.feeds].map(([k, v]) => [k, k === info.name ? { dtype: 'float32', shape, data: x } : v]));
  const d0 = info.shape?.[0];
  const batchable = shape.length > 1 && (d0 === null || typeof d0 === 'string');
  const lay: InputLayout = inputLayout(shape);
  const batch = batchSizeFor(x.length, batchable);
  const fwd = sessionForward(session, feeds, info.name, shape, batch, path, p.signal);
  let row = new Float32Array(0);
  await fwd(1, (_, dst) => dst.set(x), (_, r) => (row = r.slice()));
  const target = p.target ?? row.indexOf(Math.max(...row));
  if (target >= row.length) throw new ModelError(path, `target ${target} is out of range: the first output has ${row.length} values per sample`);
  const useSoftmax = row.length > 1 && !isProbabilities(row);
  const scoring = new Scoring(fwd, target, useSoftmax);
  const labels = findLabels(path, model.metadata);
  // One softmax for the whole row (a per-class softmax would be quadratic: a million exp calls for 1,000 classes).
  const probs = useSoftmax ? softmax(row) : row;
  const top = Array.from(probs.keys()).map((i) => ({ index: i, p: probs[i], label: labels?.[i] })).sort((a, b) => b.p - a.p).slice(0, 5);

  let gm: GradModel | undefined;
  let gmError: string | undefined;
  const needGrad = p.methods.some((m) => GRADIENT_METHODS.includes(m)) || p.sanity;
  if (needGrad) {
    // TF.js runs the gradients of ONNX models too (the executor maps ONNX ops onto tfjs): same backend choice.
    await selectTfjsBackend(p.providers?.filter((x) => x.startsWith('tfjs-')));
    const tfFeeds: Record<string, tf.Tensor> = {};
    for (const [k, v] of feeds) tfFeeds[k] = tf.tensor(toFloat32(v), v.shape, isFloatDType(v.dtype) ? 'float32' : 'int32');
    try {
      gm = await loadGradModel({ model, inputName: info.name, feeds: tfFeeds });
    } catch (e) {
      tf.dispose(Object.values(tfFeeds));
      gmError = oneLine(e);
    }
  }
  // TF.js (and Keras) image models take NHWC; ONNX's are NCHW.
  const channelsLast = !!formatOf(model).runs.artifacts;
  const baselineOf = (): Float32Array => {
    if (fileBaseline) return fileBaseline;
    if (o.baseline === 'blurred') return blurred(x, lay);
    if (o.baseline === 'noise') {
      const next = rng(p.seed ?? 0);
      return x.map(() => next());
    }
    return new Float32Array(x.length);
  };

  let gradcamLayers: string[] | undefined;
  /** One method's element-level attribution (unit-level for perturbation methods and Grad-CAM, which says its layer). */
  /** Progress inside method number `k` (of p.methods): the bar moves through its share, the line says what it does. */
  let step = 0;
  const within = (f: number, what: string) => p.onProgress?.((step + Math.min(1, f)) / p.methods.length, what);
  let stepStart = performance.now();
  const timeLeft = (f: number): string => timeLeftText(f, performance.now() - stepStart);
  const compute = async (method: ExplainMethod, model: GradModel | undefined, score: Scoring): Promise<{ attr: Float32Array; unitLevel: boolean; layer?: string }> => {
    const seed = p.seed ?? 0;
    switch (method) {
      case 'vanilla': return { attr: vanilla(model!, x, shape, target), unitLevel: false };
      case 'gradxinput': return { attr: gradXInput(model!, x, shape, target), unitLevel: false };
      case 'smoothgrad': return { attr: smoothGrad(model!, x, shape, target, { noise: o.noise ?? 0.15, samples: o.samples ?? 25, seed, batchable }), unitLevel: false };
      case 'ig': return { attr: integratedGradients(model!, x, baselineOf(), shape, target, { steps: o.steps ?? 64, batchable }), unitLevel: false };
      case 'gradcam': {
        if (!lay.image) throw new Error('Grad-CAM needs an image input');
        const layers = model!.spatialLayers();
        gradcamLayers ??= layers;
        const layer = o.layer ?? layers[layers.length - 1];
        if (!layer) throw new Error('Grad-CAM found no layer with spatial output; pass a layer name');
        return { attr: gradCam(model!, x, shape, target, layer, channelsLast, lay.height!, lay.width!), unitLevel: true, layer };
      }
      // Both perturbation methods score the raw output (the logit of a classifier without a final softmax): it does
      // not saturate on a confident model the way the probability does.
      case 'occlusion': {
        const window = o.window ?? defaultWindow(lay);
        return { attr: await occlusion(score.raw, x, lay, {
          window, stride: o.stride ?? Math.max(1, Math.floor(window / 2)), fill: o.fill ?? 0, signal: p.signal,
          onProgress: (done, total) => within(0.9 * done / total, `occlusion: window ${done} of ${total}${timeLeft(done / total)}`),
        }), unitLevel: true };
      }
      case 'rise': return { attr: await rise(score.rawStream, x, lay, { masks: o.masks ?? 500, grid: o.grid ?? 6, keep: o.keep ?? 0.5, fill: o.fill ?? 0, seed, batch, signal: p.signal, onProgress: (f) => within(0.9 * f, `rise: mask ${Math.round(f * (o.masks ?? 500))} of ${o.masks ?? 500}${timeLeft(f)}`) }), unitLevel: true };
    }
  };
  const toMap = (method: ExplainMethod, r: { attr: Float32Array; unitLevel: boolean }) =>
    r.unitLevel ? r.attr : reduceToMap(r.attr, lay, SIGNED[method] ? 'signed' : 'abs');

  const maps: ExplainMap[] = [];
  const full = new Map<ExplainMethod, Float32Array>();
  try {
    for (const [k, method] of p.methods.entries()) {
      p.signal?.throwIfAborted();
      step = k;
      stepStart = performance.now();
      p.onProgress?.(k / p.methods.length, method);
      const t0 = performance.now();
      const signed = SIGNED[method];
      const shapeOut = lay.mapShape;
      if (GRADIENT_METHODS.includes(method) && !gm) {
        maps.push({ method, shape: shapeOut, values: [], signed, deletionAuc: NaN, insertionAuc: NaN, ms: 0, error: gmError ?? 'gradients unavailable' });
        continue;
      }
      let r;
      try {
        r = GRADIENT_METHODS.includes(method) ? await withKernelFallback(() => compute(method, gm, scoring)) : await compute(method, gm, scoring);
      } catch (e) {
        if (p.signal?.aborted) throw e;
        maps.push({ method, shape: shapeOut, values: [], signed, deletionAuc: NaN, insertionAuc: NaN, ms: 0, error: oneLine(e) });
        continue;
      }
      const map = toMap(method, r);
      full.set(method, lay.image || r.unitLevel ? map : r.attr);
      within(0.9, `${method}: deletion and insertion scores`);
      const q = await deletionInsertion(scoring.prob, x, map, lay);
      const entry: ExplainMap = { method, shape: shapeOut, values: numbers(map), signed, ...q, ms: 0, ...(r.layer ? { layer: r.layer } : {}) };
      if (method === 'ig') {
        const b = baselineOf();
        const [fx, fb] = await scoreArrays(scoring.raw, [x, b]);
        entry.completeness = completeness(r.attr, fx, fb);
      }
      if (p.sanity && gm) {
        const restore = await gm.randomizeTop(o.randomizeLayers ?? 2, (p.seed ?? 0) + 7);
        try {
          const rs = new Scoring(gradForward(gm, shape, batch), target, useSoftmax);
          const r2 = GRADIENT_METHODS.includes(method) ? await withKernelFallback(() => compute(method, gm, rs)) : await compute(method, gm, rs);
          const a = toMap(method, r2);
          entry.randomizationSpearman = spearman(map, a);
        } finally {
          restore();
        }
      }
      entry.ms = performance.now() - t0;
      maps.push(entry);
    }
  } finally {
    gm?.dispose();
  }
  p.onProgress?.(1, 'done');
  const image = lay.image ? channelMean(x, lay) : undefined;
  return { target, score: probs[target], top, inputName: info.name, inputShape: shape, image, maps, full, ...(gradcamLayers ? { gradcamLayers } : {}), inputs: plan.used };
}
