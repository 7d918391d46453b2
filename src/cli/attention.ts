import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openModelChecked } from '../engine/open';
import { encodeNpy } from '../formats/arrays/npy';
import type { AttentionMapsResult } from '../protocol/attention';
import { attentionMaps, type LayerMaps } from '../runtime/lm/attention';
import { UsageError } from './args';
import type { Verb } from './verb';
import { modelPathArg, writeOrSay } from './verb';

const f = (x: number) => x.toFixed(3);

export function attentionText(r: AttentionMapsResult, out?: string): string {
  if (r.unavailable) return `${r.unavailable}\n`;
  const lines = [`provider: ${r.provider}`, `tokenizer: ${r.tokenizer}`, `tokens (${r.tokens.length}): ${r.tokens.map((t) => JSON.stringify(t.text)).join(' ')}`];
  for (const l of r.layers) {
    lines.push(`layer ${l.index} (${l.node}), ${l.heads.length} heads:`, '  head  entropy  first  prev   induction  role');
    l.heads.forEach((h, k) => lines.push(`  ${String(k).padStart(4)}  ${f(h.entropy).padStart(7)}  ${f(h.firstToken)}  ${f(h.prevToken)}  ${f(h.induction).padStart(9)}  ${h.role}`));
  }
  if (out) lines.push(`maps written to ${out}/layer_<index>.npy, [heads, T, T] float32`);
  lines.push(`read in ${r.ms.toFixed(0)} ms`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

/**
 * `attention <model> --prompt TEXT [--out DIR] --json`: public JSON {"tokens":[{"id","text"}],"layers":[{"index","node",
 * "heads":[{"entropy","firstToken","prevToken","induction"}]}]} (extra fields: "self", "peak", "role", "unavailable",
 * "notes"); --out writes each layer's [H, T, T] maps as DIR/layer_<index>.npy. No maps (fused attention, GGUF) is a
 * sentence in "unavailable" and exit code 0: the model is fine, it just keeps its attention inside.
 */
export const attentionVerb: Verb = {
  name: 'attention',
  summary: "a language model's attention maps for a prompt, with per-head summaries (ONNX, eager attention)",
  usage: '<model> --prompt TEXT [--tokenizer tokenizer.json] [--out DIR] [--ep cpu] [--json]',
  flags: ['prompt', 'tokenizer', 'out', 'ep'],
  async run(args, io) {
    const path = modelPathArg(this, args);
    if (args.prompt === undefined) throw new UsageError(`attention needs --prompt TEXT: model-inspector attention ${this.usage}`);
    const out = args.out;
    const model = await openModelChecked(path);
    try {
      if (out) await writeOrSay(out, () => mkdir(out, { recursive: true }));
      const write = out
        ? async (m: LayerMaps) => {
          const file = join(out, `layer_${m.site.index}.npy`);
          await writeOrSay(file, () => writeFile(file, encodeNpy({ dtype: 'float32', shape: [m.heads, m.rows, m.cols], data: m.data })));
        }
        : undefined;
      const r = await attentionMaps(model, { prompt: args.prompt, tokenizer: args.tokenizer, providers: args.eps }, write);
      // thumbnails are for the panel; the command line has the full maps (--out)
      io.out(args.json ? JSON.stringify({ ...r, thumbs: undefined }) + '\n' : attentionText(r, out));
      return 0;
    } finally {
      await model.dispose?.();
    }
  },
};
