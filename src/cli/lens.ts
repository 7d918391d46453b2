import { openModelChecked } from '../engine/open';
import type { LensResult } from '../protocol/attention';
import { logitLens } from '../runtime/lm/lens';
import { UsageError } from './args';
import type { Verb } from './verb';
import { modelPathArg } from './verb';

const pct = (p: number) => `${(p * 100).toFixed(p < 0.001 ? 3 : 1)}%`;

export function lensText(r: LensResult): string {
  if (r.unavailable) return `${r.unavailable}\n`;
  const lines = [`provider: ${r.provider}`, `tokenizer: ${r.tokenizer}`];
  if (r.head) lines.push(`residual read after each block, projected through the final norm (${r.head.norm}) and the unembedding (${r.head.unembedding})`);
  lines.push(`tokens: ${r.tokens.map((t, i) => `${i}:${JSON.stringify(t.text)}`).join(' ')}`, 'top-1 token at each position, by layer:');
  for (const l of r.layers) {
    const tgt = l.target ? `   target p ${pct(l.target.p)} rank ${l.target.rank}` : '';
    lines.push(`  layer ${String(l.index).padStart(2)}  ${l.top.map((t) => `${JSON.stringify(t.text)} ${pct(t.p)}`).join(' | ')}${tgt}`);
  }
  if (r.target) {
    const settled = r.layers.findIndex((_, k) => r.layers.slice(k).every((x) => x.target?.rank === 1));
    lines.push(`target ${JSON.stringify(r.target.text)} (id ${r.target.id}) at position ${r.position}: ${settled >= 0 ? `top-1 from layer ${r.layers[settled].index} on` : 'never top-1 at the last layer'}`);
  }
  lines.push(`in ${r.ms.toFixed(0)} ms`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/**
 * `lens <model> --prompt TEXT [--target TEXT|ID] --json`: public JSON {"tokens":[{"id","text"}],"layers":[{"index",
 * "node","top":[{"position","id","text","p"}],"target"?:{"p","rank"}}]} (extra fields: "position", "target", "head",
 * "unavailable", "notes"). No lens (no residual stream found, GGUF) is a sentence in "unavailable", exit code 0.
 */
export const lensVerb: Verb = {
  name: 'lens',
  summary: "the logit lens: each layer's residual through the final norm and unembedding, top tokens by layer",
  usage: '<model> --prompt TEXT [--target TEXT|ID] [--tokenizer tokenizer.json] [--ep cpu] [--json]',
  flags: ['prompt', 'tokenizer', 'target', 'ep'],
  async run(args, io) {
    const path = modelPathArg(this, args);
    if (args.prompt === undefined) throw new UsageError(`lens needs --prompt TEXT: model-inspector lens ${this.usage}`);
    const target = args.target === undefined ? undefined : /^\d+$/.test(args.target) ? Number(args.target) : args.target;
    const model = await openModelChecked(path);
    try {
      const r = await logitLens(model, { prompt: args.prompt, tokenizer: args.tokenizer, providers: args.eps, target });
      io.out(args.json ? JSON.stringify(r) + '\n' : lensText(r));
      return 0;
    } finally {
      await model.dispose?.();
    }
  },
};
