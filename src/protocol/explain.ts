import type { Check } from './validate';
import { arrayOf, bool, nothing, num, obj, oneOf, optional, str } from './validate';
import { runParamsCheck } from './run';
import type { InputUsed, RunParams } from './run';

/**
 * Explain feature (saliency): webview -> host -> engine, with the panel's modelId added by the host. Results carry
 * small maps (H×W for images, ≤ 64 Ki values), never input-sized tensors of big models.
 */

export type ExplainMethod = 'vanilla' | 'gradxinput' | 'smoothgrad' | 'ig' | 'gradcam' | 'occlusion' | 'rise';
export const EXPLAIN_METHODS: readonly ExplainMethod[] = ['vanilla', 'gradxinput', 'smoothgrad', 'ig', 'gradcam', 'occlusion', 'rise'];
export const GRADIENT_METHODS: readonly ExplainMethod[] = ['vanilla', 'gradxinput', 'smoothgrad', 'ig', 'gradcam'];

export type IgBaseline = 'black' | 'blurred' | 'noise';

export interface ExplainOptions {
  /** SmoothGrad: noise std as a fraction of the input's value range (default 0.15), sample count (default 25). */
  noise?: number;
  samples?: number;
  /** IG: path steps (default 64) and baseline (default black = zeros), or a baseline file (an image or array with the
   * explained input's shape, read like an input file; it wins over `baseline`). */
  steps?: number;
  baseline?: IgBaseline;
  baselineFile?: string;
  /** Grad-CAM layer (TF.js layer name or ONNX value name); default: the last layer with spatial output. */
  layer?: string;
  /** Occlusion: window and stride in pixels (default: a tenth of the shorter side, at least 2, and half that), fill value (default 0). */
  window?: number;
  stride?: number;
  fill?: number;
  /** RISE: mask count (default 500), grid cells per side (default 6), keep probability (default 0.5). */
  masks?: number;
  grid?: number;
  keep?: number;
  /** Sanity check: how many of the last weighted layers to re-randomize (default 2). */
  randomizeLayers?: number;
}

export interface ExplainParams extends Pick<RunParams, 'inputs' | 'synth' | 'seed' | 'dims' | 'providers'> {
  methods: ExplainMethod[];
  /** Index into the first output (flattened per sample); default: its arg-max. */
  target?: number;
  options?: ExplainOptions;
  /** Also run the model-randomization sanity check (re-randomize the top layers, compare maps). */
  sanity?: boolean;
}

export interface ExplainMap {
  method: ExplainMethod;
  /** [H, W] for image inputs, else the input's shape. */
  shape: number[];
  /** Row-major values; `signed` maps have meaningful negative values (use a diverging colormap). */
  values: number[];
  signed: boolean;
  deletionAuc: number;
  insertionAuc: number;
  /** IG only: |Σattr − (f(x) − f(baseline))| / |f(x) − f(baseline)|. */
  completeness?: number;
  /** Sanity check: Spearman rank correlation between this map and the map after re-randomizing the top layers. */
  randomizationSpearman?: number;
  ms: number;
  /** Set instead of the numbers when this method could not run (e.g. an unsupported operator for gradients). */
  error?: string;
  /** Grad-CAM: the layer the map comes from. */
  layer?: string;
}

export interface ExplainResult {
  target: number;
  /** Target score (softmax probability for multi-class outputs) and the output's top-5 indices for the target picker. */
  score: number;
  top: { index: number; p: number; label?: string }[];
  inputName: string;
  inputShape: number[];
  /** The explained input reduced to the map's shape (channel mean), for the overlay; absent for non-images. */
  image?: number[];
  maps: ExplainMap[];
  /** When Grad-CAM ran: the layers it can use (outputs with spatial extent), in graph order; the last is the default. */
  gradcamLayers?: string[];
  /** What was fed, as `run` reports it: a file, an image, or synthesized values (`synthesized`), with any `note`. */
  inputs?: InputUsed[];
}

export type ExplainMethods = {
  explain: { params: ExplainParams; result: ExplainResult };
  /** Example inputs shipped next to the model (`*.npy` in its folder, at most 20), absolute paths, sorted. */
  explainInputs: { params: Record<string, never>; result: { files: string[] } };
};

const runCheck = runParamsCheck;
/** Bounds of every method setting (the CLI checks its flags with this too). */
export const explainOptionsCheck: Check = obj({
  noise: optional(num(0, 10)), samples: optional(num(1, 500, true)), steps: optional(num(1, 1000, true)),
  baseline: optional(oneOf('black', 'blurred', 'noise')), baselineFile: optional(str(4096)), layer: optional(str(256)),
  window: optional(num(1, 4096, true)), stride: optional(num(1, 4096, true)), fill: optional(num()),
  masks: optional(num(1, 10000, true)), grid: optional(num(2, 64, true)), keep: optional(num(0.01, 0.99)), randomizeLayers: optional(num(1, 1000, true)),
});
export const explainParamsCheck: Check = (x, p) => {
  if (typeof x !== 'object' || x === null) return `${p} must be an object`;
  const { methods, target, options, sanity, ...rest } = x as Record<string, unknown>;
  return (
    runCheck(rest, p) ??
    obj({
      methods: arrayOf(oneOf(...EXPLAIN_METHODS), 7),
      target: optional(num(0, 1 << 24, true)),
      sanity: optional(bool),
      options: optional(explainOptionsCheck),
    })({ methods, target, options, sanity }, p)
  );
};

export const explainValidators: { [K in keyof ExplainMethods]: Check } = {
  explain: explainParamsCheck,
  explainInputs: nothing,
};

/**
 * Whether the input the Explain tab explains (the first floating-point one) is an image by its declared shape: rank 3
 * or 4 with 1, 3 or 4 channels before or after two spatial sizes over 4 (symbolic sizes count as spatial). The same
 * rule as src/explain/layout.ts applies to the concrete array; this one lets the tab leave Grad-CAM, which needs an
 * image, unchecked and disabled for a tabular or token input instead of showing its error by default.
 */
export function explainsImage(inputs: readonly { dtype: string; shape: readonly (number | string | null)[] | null }[]): boolean {
  const x = inputs.find((i) => /^(float|bfloat)/.test(i.dtype));
  const s = x?.shape;
  if (!s || (s.length !== 3 && s.length !== 4)) return false;
  const off = s.length - 3;
  const ch = (d: number | string | null) => d === 1 || d === 3 || d === 4;
  const spatial = (d: number | string | null) => typeof d === 'string' || (typeof d === 'number' && d > 4);
  return (ch(s[off]) && spatial(s[off + 1]) && spatial(s[off + 2])) || (ch(s[off + 2]) && spatial(s[off]) && spatial(s[off + 1]));
}
