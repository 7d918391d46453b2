import { openModelChecked } from '../engine/open';
import type { PromptExplainResult, PromptRunResult, TokenMethod } from '../protocol/prompt';
import { TOKEN_METHODS } from '../protocol/prompt';
import { runPrompt } from '../runtime/lm/run-prompt';
import { explainPrompt } from '../explain/token-attribution';
import { UsageError, type FlagName, type ParsedArgs } from './args';
import type { CliIO } from './verb';
import { bindCliServer } from './server';

/** Flags of the prompt forms of `run` and `saliency` (the tensor forms refuse them and these refuse theirs). */
export const PROMPT_FLAGS: readonly FlagName[] = ['prompt', 'tokenizer', 'top', 'generate', 'ep', 'target', 'method', 'samples'];

const show = (t: string) => JSON.stringify(t);
const pct = (p: number) => `${(p * 100).toFixed(p < 0.001 ? 3 : 1)}%`;

function refuseTensorFlags(args: ParsedArgs, allowed: readonly FlagName[]): void {
  for (const f of args.given) {
    if (f === 'json' || allowed.includes(f)) continue;
    throw new UsageError(`--${f} does not apply to a prompt (prompts take ${allowed.map((x) => `--${x}`).join(', ')})`);
  }
}

export function promptRunText(r: PromptRunResult): string {
  const lines = [`provider: ${r.provider}`];
  for (const k of r.skipped) lines.push(`  skipped ${k.provider}: ${k.reason}`);
  lines.push(`tokenizer: ${r.tokenizer}`, `tokens (${r.tokens.length}), log-probability given the tokens before:`);
  for (const t of r.tokens) lines.push(`  ${String(t.id).padStart(6)}  ${show(t.text).padEnd(16)}  ${t.logprob === null ? '' : t.logprob.toFixed(3)}`);
  lines.push(`next token${r.kind === 'masked' ? ` at position ${r.position}` : ''}: ${r.next.map((n) => `${show(n.text)} ${pct(n.p)}`).join(', ')}`);
  if (r.generated) lines.push(`greedy continuation: ${r.generated.map((g) => `${show(g.text)} (${pct(g.p)})`).join(' ')}`, `  ${r.tokensPerSecond?.toFixed(1)} tokens/s`);
  lines.push(`prompt evaluated in ${r.latencyMs.toFixed(1)} ms`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/** `run <model> --prompt TEXT`: public JSON {"provider","tokens":[{"id","text","logprob"}],"next":[{"id","text","p"}],"generated"?,"latencyMs"}. */
export async function runPromptCli(path: string, args: ParsedArgs, io: CliIO): Promise<number> {
  refuseTensorFlags(args, ['prompt', 'tokenizer', 'top', 'generate', 'ep', 'server', 'server-model']);
  const model = await openModelChecked(path);
  try {
    bindCliServer(model, args);
    const r = await runPrompt(model, { prompt: args.prompt!, tokenizer: args.tokenizer, top: args.top, generate: args.generate, providers: args.eps });
    io.out(args.json ? JSON.stringify(r) + '\n' : promptRunText(r));
    return 0;
  } finally {
    await model.dispose?.();
  }
}

export function promptExplainText(r: PromptExplainResult): string {
  const lines = [`${r.method} for next token ${show(r.target.text)} (id ${r.target.id}, p ${pct(r.target.p)}) on ${r.provider}, ${r.passes} passes in ${r.ms.toFixed(0)} ms`];
  const max = Math.max(1e-12, ...r.tokens.map((t) => Math.abs(t.score)));
  for (const t of r.tokens) lines.push(`  ${show(t.text).padEnd(16)} ${t.score >= 0 ? '+' : ''}${t.score.toFixed(4)}  ${'#'.repeat(Math.round((Math.abs(t.score) / max) * 20))}`);
  lines.push(`  deletion AUC ${r.deletionAuc.toFixed(4)} (lower = the scores found what matters)`, `  insertion AUC ${r.insertionAuc.toFixed(4)} (higher is better)`);
  if (r.completeness !== undefined) lines.push(`  IG completeness residual ${r.completeness.toExponential(2)} (near 0 = scores add up to the log-probability change)`);
  lines.push(`  removed tokens were replaced by ${show(r.baseline.text)} (id ${r.baseline.id})`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/** `saliency <model> --prompt TEXT --method M`: public JSON {"method","target":{"id","text","p"},"tokens":[{"id","text","score"}],"deletionAuc","insertionAuc"}. */
export async function saliencyPromptCli(path: string, args: ParsedArgs, io: CliIO): Promise<number> {
  refuseTensorFlags(args, ['prompt', 'tokenizer', 'ep', 'target', 'method', 'samples', 'steps', 'server', 'server-model']);
  const method = (args.method ?? 'occlusion') as TokenMethod;
  if (!TOKEN_METHODS.includes(method)) throw new UsageError(`--method for a prompt must be one of ${TOKEN_METHODS.join(', ')}, got "${args.method}"`);
  const n = args.methodOptions.samples ?? args.methodOptions.steps;
  if (n !== undefined && !/^\d+$/.test(n)) throw new UsageError(`--${args.methodOptions.samples !== undefined ? 'samples' : 'steps'} needs a whole number, got "${n}"`);
  const target = args.target === undefined ? undefined : /^\d+$/.test(args.target) ? Number(args.target) : args.target;
  const model = await openModelChecked(path);
  try {
    bindCliServer(model, args);
    const r = await explainPrompt(model, { prompt: args.prompt!, tokenizer: args.tokenizer, target, method, samples: n === undefined ? undefined : Number(n), providers: args.eps });
    io.out(args.json ? JSON.stringify(r) + '\n' : promptExplainText(r));
    return 0;
  } finally {
    await model.dispose?.();
  }
}
