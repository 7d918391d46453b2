import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openModelChecked } from '../engine/open';
import { encodeNpy } from '../formats/arrays/npy';
import type { RunInputSpec, RunSummary } from '../protocol/run';
import type { ServerStatus } from '../protocol/settings';
import { runModel } from '../runtime/run-model';
import type { Verb } from './verb';
import { PROMPT_FLAGS, runPromptCli } from './prompt';
import { modelPathArg, writeOrSay } from './verb';
import { bindCliServer, checkServerFlags, SERVER_FLAGS, TOKEN_VARIABLE } from './server';

const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4)) : String(x));

export function runText(s: RunSummary): string {
  const lines: string[] = [];
  lines.push(`provider: ${s.provider}  (load ${s.loadMs.toFixed(1)} ms${s.cached ? ', cached' : ''})`);
  if (s.server) lines.push(`  ${serverLine(s.server)}`);
  for (const k of s.skipped) lines.push(`  skipped ${k.provider}: ${k.reason}`);
  if (s.placement) lines.push(`  nodes per provider: ${Object.entries(s.placement).map(([p, n]) => `${p} ${n}`).join(', ')}`);
  lines.push('inputs:');
  for (const i of s.inputs) lines.push(`  ${i.name}  ${i.dtype} [${i.shape.join(', ')}]  ${i.source}${i.synthesized ? ' (synthesized)' : ''}`);
  for (const i of s.inputs) if (i.note) lines.push(`note: ${i.note}`);
  const dims = Object.entries(s.dims);
  if (dims.length) lines.push(`dims: ${dims.map(([k, v]) => `${k}=${v}`).join(' ')}  (set with --dim name=value)`);
  lines.push('outputs:');
  for (const o of s.outputs) {
    lines.push(`  ${o.name}  ${o.dtype} [${o.shape.join(', ')}]  mean ${fmt(o.mean)}  std ${fmt(o.std)}  min ${fmt(o.min)}  max ${fmt(o.max)}${o.nonFinite ? `  non-finite ${o.nonFinite}` : ''}`);
    if (o.top.length) {
      lines.push(`    top-${o.top.length}${o.softmax ? ' (softmax)' : ''}: ${o.top.map((t) => `${t.label ?? `#${t.index}`} ${(t.p * 100).toFixed(1)}%`).join(', ')}`);
    }
  }
  lines.push(`latency over ${s.runs} runs: p50 ${s.latencyMs.p50.toFixed(3)} ms  p95 ${s.latencyMs.p95.toFixed(3)} ms`);
  return lines.join('\n') + '\n';
}

/** The server's state at load, in one line: health, readiness, batch limit, tensor encoding. */
export function serverLine(v: ServerStatus): string {
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const batch = v.maxBatch ? `max batch ${v.maxBatch} (from the ${v.maxBatchFrom})` : 'no batch limit known';
  return `server ${v.serverName || '?'} ${v.serverVersion}: live ${yes(v.live)}, ready ${yes(v.ready)}, model ready ${yes(v.modelReady)}, ${v.platform || 'platform ?'}, ${batch}, ${v.binary ? 'binary tensors' : 'JSON tensors'}${v.unchecked ? `; ${v.unchecked}` : ''}`;
}

/** The IR gives hints (vocab sizes, labels metadata); a model our reader cannot parse may still run. */
export const runVerb: Verb = {
  name: 'run',
  summary: 'sample inference: synthesized or file inputs, output stats, top-k, latency, execution provider',
  usage: '<model> [--input [name=]file.npy|.npz|.pb|image.jpg[#imagenet,bgr] ...] [--dim symbol=value ...] [--ep webgpu,cpu] [--runs N] [--save-outputs DIR] [--json]'
    + '\n       run <language model> --prompt TEXT [--tokenizer tokenizer.json] [--top K] [--generate N] [--ep cuda,cpu] [--json]'
    + `\n       run <model> ... --server URL [--server-model NAME[:VERSION]]  (an Open Inference Protocol server; token in $${TOKEN_VARIABLE})`,
  flags: ['input', 'dim', 'ep', 'runs', 'save-outputs', ...PROMPT_FLAGS, ...SERVER_FLAGS],
  async run(args, io) {
    const path = modelPathArg(this, args);
    checkServerFlags(args);
    if (args.prompt !== undefined) return runPromptCli(path, args, io);
    const inputs: RunInputSpec[] = args.inputs.map((i) => (i.name ? { name: i.name, file: i.file } : { file: i.file }));
    // Our reader first: a broken file gets its precise diagnosis, and the model's format picks the runtime.
    const model = await openModelChecked(path);
    try {
      bindCliServer(model, args);
      const { summary, outputs } = await runModel(model, { inputs, dims: args.dims, providers: args.eps, runs: args.runs });
      if (args.saveOutputs) {
        const dir = args.saveOutputs;
        await writeOrSay(dir, () => mkdir(dir, { recursive: true }));
        for (const [name, a] of outputs) {
          if (Array.isArray(a.data)) continue; // string outputs have no .npy form we write
          const file = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.npy`);
          await writeOrSay(file, () => writeFile(file, encodeNpy(a)));
        }
      }
      io.out(args.json ? JSON.stringify(summary) + '\n' : runText(summary));
      return 0;
    } finally {
      await model?.dispose?.();
    }
  },
};
