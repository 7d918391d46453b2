import type { ExplainMethod, ExplainResult } from './explain';
import type { PromptExplainResult, TokenMethod } from './prompt';

/**
 * What the side view shows of the last explanation: one method's quality numbers, a small thumbnail of its map and
 * the checks that failed. Built by the host from the engine's `explain` result (pure: no Node, no DOM).
 */
export interface ExplanationSummary {
  fileName: string;
  method: ExplainMethod;
  target: number;
  score: number;
  deletionAuc: number;
  insertionAuc: number;
  completeness?: number;
  randomizationSpearman?: number;
  /** The map box-averaged down to at most THUMB × THUMB values, row-major. */
  thumbnail: { shape: [number, number]; values: number[]; signed: boolean };
  /** One line per failed check (or method error), empty when everything passed. */
  warnings: string[];
}

export const THUMB = 32;
/** IG attributions should add up to the score change; a larger relative residual means too few path steps. */
export const MAX_COMPLETENESS = 0.05;
/** Maps that survive re-randomizing the top layers do not depend on what the model learned (Adebayo et al. 2018). */
export const MAX_RANDOMIZATION_SPEARMAN = 0.5;

function downsample(values: number[], H: number, W: number): { shape: [number, number]; values: number[] } {
  const h = Math.min(H, THUMB);
  const w = Math.min(W, THUMB);
  const sum = new Array<number>(h * w).fill(0);
  const n = new Array<number>(h * w).fill(0);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = Math.floor((y * h) / H) * w + Math.floor((x * w) / W);
      sum[k] += values[y * W + x];
      n[k]++;
    }
  }
  return { shape: [h, w], values: sum.map((s, i) => (n[i] ? s / n[i] : 0)) };
}

/** Summaries of every method that produced a map (the last one is what "last explanation" shows). */
export function summarizeExplanation(fileName: string, r: ExplainResult): ExplanationSummary[] {
  const errors = r.maps.filter((m) => m.error).map((m) => `${m.method} could not run: ${m.error}`);
  return r.maps.filter((m) => !m.error).map((m) => {
    const [H, W] = m.shape.length === 2 ? m.shape : [1, m.values.length];
    const warnings = [...errors];
    if (m.completeness !== undefined && !(m.completeness <= MAX_COMPLETENESS)) {
      warnings.push(`IG completeness residual ${m.completeness.toFixed(3)} > ${MAX_COMPLETENESS}: use more steps`);
    }
    if (m.randomizationSpearman !== undefined && !(m.randomizationSpearman <= MAX_RANDOMIZATION_SPEARMAN)) {
      warnings.push(`randomization rank correlation ${m.randomizationSpearman.toFixed(2)} > ${MAX_RANDOMIZATION_SPEARMAN}: the map barely depends on the learned weights`);
    }
    return {
      fileName, method: m.method, target: r.target, score: r.score, deletionAuc: m.deletionAuc, insertionAuc: m.insertionAuc,
      ...(m.completeness !== undefined ? { completeness: m.completeness } : {}),
      ...(m.randomizationSpearman !== undefined ? { randomizationSpearman: m.randomizationSpearman } : {}),
      thumbnail: { ...downsample(m.values, H, W), signed: m.signed },
      warnings,
    };
  });
}

/** What the side view shows of the last prompt explanation: the tokens and their scores, the target, the AUCs. */
export interface PromptExplanationSummary {
  fileName: string;
  method: TokenMethod;
  target: { id: number; text: string; p: number };
  /** The prompt's last MAX_SIDE_TOKENS tokens (the nearest to the prediction), with `skipped` saying how many went. */
  tokens: { id: number; text: string; score: number }[];
  skipped: number;
  deletionAuc: number;
  insertionAuc: number;
  completeness?: number;
  warnings: string[];
}

export const MAX_SIDE_TOKENS = 200;

export function summarizePromptExplanation(fileName: string, r: PromptExplainResult): PromptExplanationSummary {
  const skipped = Math.max(0, r.tokens.length - MAX_SIDE_TOKENS);
  const warnings: string[] = [];
  if (r.completeness !== undefined && !(r.completeness <= MAX_COMPLETENESS)) {
    warnings.push(`IG completeness residual ${r.completeness.toFixed(3)} > ${MAX_COMPLETENESS}: use more steps`);
  }
  return {
    fileName, method: r.method, target: r.target, tokens: r.tokens.slice(skipped), skipped,
    deletionAuc: r.deletionAuc, insertionAuc: r.insertionAuc,
    ...(r.completeness !== undefined ? { completeness: r.completeness } : {}),
    warnings,
  };
}
