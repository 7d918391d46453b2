// vscode-free parts of Quick Inference: which models to offer, which inputs, the RunParams a choice becomes (with what
// the Run tab remembered for the model), and the text of the result (notification line and log details).
import type { RunInputSpec, RunParams, RunSummary, SynthKind } from '../protocol/run';
import type { PromptRunResult } from '../protocol/prompt';

/** Active model first, then the workspace's in path order, each once. */
export function orderCandidates(active: string | undefined, found: readonly string[]): string[] {
  const out = active ? [active] : [];
  for (const p of [...found].sort((a, b) => a.localeCompare(b))) if (!out.includes(p)) out.push(p);
  return out;
}

export type InputChoice =
  | { kind: 'synth'; synth: SynthKind }
  | { kind: 'image'; file: string }
  | { kind: 'array'; file: string }
  | { kind: 'remembered' };

export interface InputOption {
  label: string;
  description: string;
  /** Files are asked for after the pick. */
  choice: { kind: 'synth'; synth: SynthKind } | { kind: 'image' } | { kind: 'array' } | { kind: 'remembered' };
}

/** What the input pick offers; the remembered Run tab inputs come first when there are some. */
export function inputOptions(remembered: RunInputSpec[] | undefined): InputOption[] {
  const opts: InputOption[] = [];
  if (remembered?.length) opts.push({ label: 'Run tab inputs', description: rememberedText(remembered), choice: { kind: 'remembered' } });
  opts.push(
    { label: 'Random normal', description: 'synthesized, seeded (integers: token ids)', choice: { kind: 'synth', synth: 'normal' } },
    { label: 'Random uniform', description: 'synthesized in [0, 1)', choice: { kind: 'synth', synth: 'uniform' } },
    { label: 'Zeros', description: 'synthesized', choice: { kind: 'synth', synth: 'zeros' } },
    { label: 'Ones', description: 'synthesized', choice: { kind: 'synth', synth: 'ones' } },
    { label: 'Image file…', description: 'png, jpg, webp… resized to the first input', choice: { kind: 'image' } },
    { label: 'Array file…', description: '.npy, .npz or TensorProto .pb', choice: { kind: 'array' } },
  );
  return opts;
}

function rememberedText(specs: RunInputSpec[]): string {
  return specs.map((s) => `${s.name ?? 'input'}: ${s.file ? s.file.split(/[\\/]/).pop() : s.synth ?? 'default'}`).join(', ').slice(0, 120);
}

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'avif', 'bmp'];
export const ARRAY_EXTENSIONS = ['npy', 'npz', 'pb'];

/** Remembered Run tab values Quick Inference reuses (see run-prefs.ts). */
export interface Remembered {
  dims?: Record<string, number>;
  seed?: number;
  providers?: string[];
  inputs?: RunInputSpec[];
}

/**
 * The run request: 10 timed runs, top-5, the remembered dims (symbolic dims the user confirmed in the Run tab;
 * none: the runtime's defaults, batch 1), seed and providers. An image reuses the remembered image preset of the
 * first input (the user's normalisation / channel order for this model).
 */
export function quickRunParams(choice: InputChoice, r: Remembered): RunParams {
  const p: RunParams = { runs: 10, topK: 5 };
  if (r.dims && Object.keys(r.dims).length) p.dims = r.dims;
  if (r.seed !== undefined) p.seed = r.seed;
  if (r.providers?.length) p.providers = r.providers;
  switch (choice.kind) {
    case 'synth':
      p.synth = choice.synth;
      break;
    case 'image': {
      const preset = r.inputs?.find((s) => s.image)?.image;
      p.inputs = [preset ? { file: choice.file, image: preset } : { file: choice.file, image: {} }];
      break;
    }
    case 'array':
      p.inputs = [{ file: choice.file }];
      break;
    case 'remembered':
      if (r.inputs?.length) p.inputs = r.inputs;
      break;
  }
  return p;
}

/** The details written to the log: everything the Run tab would show, as text. */
export function describeRun(file: string, s: RunSummary): string {
  const lines = [`${file}: ran on ${s.provider} (load ${s.loadMs.toFixed(1)} ms${s.cached ? ', session reused' : ''})`];
  for (const k of s.skipped) lines.push(`  skipped ${k.provider}: ${k.reason}`);
  for (const i of s.inputs) lines.push(`  input ${i.name} ${i.dtype} [${i.shape.join(', ')}] ← ${i.source}`);
  if (Object.keys(s.dims).length) lines.push(`  dims ${Object.entries(s.dims).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const o of s.outputs) {
    lines.push(`  output ${o.name} ${o.dtype} [${o.shape.join(', ')}] mean ${fmt(o.mean)} std ${fmt(o.std)} min ${fmt(o.min)} max ${fmt(o.max)}${o.nonFinite ? ` (${o.nonFinite} non-finite)` : ''}`);
    if (o.top.length) lines.push(`    top${o.softmax ? ' (softmax)' : ''}: ${o.top.map((t) => `${t.label ?? '#' + t.index} ${(t.p * 100).toFixed(1)}%`).join(', ')}`);
  }
  lines.push(`  latency p50 ${s.latencyMs.p50.toFixed(3)} ms, p95 ${s.latencyMs.p95.toFixed(3)} ms over ${s.runs} runs`);
  return lines.join('\n');
}

/**
 * One line for the notification: the top-3 of the first output with a top-k, else a summary of the first output;
 * then provider and median latency.
 */
export function headline(file: string, s: RunSummary): string {
  const withTop = s.outputs.find((o) => o.top.length);
  let what: string;
  if (withTop) what = withTop.top.slice(0, 3).map((t) => `${t.label ?? `class ${t.index}`} (${(t.p * 100).toFixed(1)}%)`).join(', ');
  else if (s.outputs[0]) {
    const o = s.outputs[0];
    what = `${o.name} [${o.shape.join(', ')}] mean ${fmt(o.mean)} range ${fmt(o.min)}..${fmt(o.max)}${s.outputs.length > 1 ? ` (+${s.outputs.length - 1} outputs)` : ''}`;
  } else what = 'no outputs';
  return `${file}: ${what} · ${s.provider} · p50 ${s.latencyMs.p50.toFixed(2)} ms`;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(3) : String(Number(x.toFixed(4)));
}

/** The notification after a language model's prompt: the top next tokens with their probabilities, what ran, how long. */
export function promptHeadline(file: string, r: Pick<PromptRunResult, 'next' | 'provider' | 'latencyMs' | 'tokens'>): string {
  const next = r.next.slice(0, 5).map((t) => `${JSON.stringify(t.text)} ${percentText(t.p)}`).join(', ');
  return `${file}: next token after ${r.tokens.length} prompt tokens: ${next || 'none'} · ${r.provider} · ${r.latencyMs.toFixed(1)} ms`;
}

function percentText(p: number): string {
  const x = 100 * p;
  if (x < 100 && x >= 99.95) return `${x.toFixed(Math.min(6, 1 + Math.ceil(-Math.log10(100 - x))))}%`;
  return x !== 0 && x < 0.01 ? `${x.toExponential(1)}%` : `${x.toFixed(x < 10 ? 2 : 1)}%`;
}
