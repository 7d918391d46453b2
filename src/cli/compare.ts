import type { Model } from '../model/graph';
import { resolve } from 'node:path';
import { openModelChecked } from '../engine/open';
import { bindCliServer, checkServerFlags, SERVER_FLAGS } from './server';
import { sessions } from '../runtime/load';
import type { CompareJson } from '../protocol/compare';
import { compareJson, compareModels } from '../compare/compare-models';
import type { RunInputSpec } from '../protocol/run';
import { UsageError } from './args';
import type { Verb } from './verb';

const num = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : x === 0 ? '0' : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4);

const LIST = 12;

function list(title: string, items: string[]): string[] {
  if (!items.length) return [];
  const shown = items.slice(0, LIST).join(', ');
  return [`${title} (${items.length}): ${shown}${items.length > LIST ? `, … (${items.length - LIST} more)` : ''}`];
}

/** The readable form: what changed first, then the details a terminal can hold. */
export function compareText(j: CompareJson): string {
  const lines: string[] = [];
  lines.push(`A: ${j.a.path} (${j.a.format})`, `B: ${j.b.path} (${j.b.format})`, '');
  const n = j.nodes;
  const by = Object.entries(n.matchedBy).filter(([, v]) => v).map(([k, v]) => `${v} by ${k}`).join(', ');
  lines.push(`nodes: ${n.matched} matched${by ? ` (${by})` : ''}, ${n.changed.length} changed, ${n.removed.length} only in A, ${n.added.length} only in B`);
  lines.push(...list('  only in A', n.removed).map((l) => `  ${l.trim()}`), ...list('  only in B', n.added).map((l) => `  ${l.trim()}`));
  for (const c of n.changed.slice(0, LIST)) lines.push(`  changed ${c.a}${c.b !== c.a ? ` ~ ${c.b}` : ''}: ${c.what.join('; ')}`);
  if (n.changed.length > LIST) lines.push(`  … ${n.changed.length - LIST} more changed`);
  lines.push('');
  const changed = j.tensors.filter((t) => (t.maxAbsDiff ?? 0) > 0);
  lines.push(`weights: ${j.tensors.length} matched, ${changed.length} differ, overall relative change ${num(j.relChange)}; ${j.unmatched.a.length} only in A, ${j.unmatched.b.length} only in B`);
  const scopes = j.scopes.filter((s) => s.changed > 0).slice(0, LIST);
  if (scopes.length) {
    lines.push('  scopes that changed most:');
    for (const s of scopes) lines.push(`    ${(s.scope || '(top level)').padEnd(40)} rel ${num(s.relChange).padStart(9)}  max|Δ| ${num(s.maxAbsDiff).padStart(9)}  ${s.changed}/${s.tensors} tensors`);
  }
  const top = [...changed].sort((x, y) => (y.relChange ?? Infinity) - (x.relChange ?? Infinity)).slice(0, LIST);
  if (top.length) {
    lines.push('  tensors that changed most:');
    for (const t of top) {
      const note = [t.b ? `~ ${t.b}` : '', t.transposed ? `transposed ${t.transposed.join(',')}` : '', t.matchedBy !== 'name' ? `by ${t.matchedBy}` : ''].filter(Boolean).join(', ');
      lines.push(`    ${t.name.padEnd(40)} rel ${num(t.relChange).padStart(9)}  cos ${num(t.cosine).padStart(7)}  max|Δ| ${num(t.maxAbsDiff).padStart(9)}${note ? `  (${note})` : ''}`);
    }
  }
  for (const t of j.tensors.filter((x) => x.problem)) lines.push(`  not compared ${t.name}: ${t.problem}`);
  for (const m of j.mismatched) lines.push(`  same name, not comparable: ${m.a} ~ ${m.b}: ${m.reason}`);
  lines.push(...list('  unmatched in A', j.unmatched.a).map((l) => `  ${l.trim()}`), ...list('  unmatched in B', j.unmatched.b).map((l) => `  ${l.trim()}`));
  if (j.outputsSkipped) lines.push('', `outputs: not compared (${j.outputsSkipped})`);
  if (j.outputs) {
    lines.push('', `outputs on the same input (${(j.inputs ?? []).map((i) => `${i.name} [${i.shape.join(', ')}] ${i.source}${i.note ? `; ${i.note}` : ''}`).join('; ')}):`);
    for (const o of j.outputs) {
      if (o.problem) lines.push(`  ${o.name}: ${o.problem}`);
      else lines.push(`  ${o.name}${o.b ? ` ~ ${o.b}` : ''}  max|Δ| ${num(o.maxAbsDiff)}  cos ${num(o.cosine)}  rel ${num(o.relError)}${o.topkAgreement !== null ? `  top-${o.k} agreement ${(o.topkAgreement * 100).toFixed(1)}%, top-1 ${((o.top1Agreement ?? 0) * 100).toFixed(1)}%` : ''}${o.layout ? `  (${o.layout})` : ''}`);
    }
    const d = j.divergence;
    if (d) lines.push(`first divergence (relative error > ${num(d.tolerance)}): node ${d.node}, value ${d.value}, relative error ${num(d.relError)}`);
    else if (j.divergenceSkipped) lines.push(`divergence: not searched (${j.divergenceSkipped})`);
    else lines.push(`divergence: none beyond ${num(j.tolerance)}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Public `--json` contract: {"nodes": {"added", "removed", "changed"}, "tensors": [{"name", "relChange", "cosine",
 * "maxAbsDiff", …}], "outputs"?: [{"name", "maxAbsDiff", "cosine", "topkAgreement", …}]} plus scopes, unmatched,
 * divergence and the like. Differences, however large, are results (exit 0); unreadable files exit 1.
 */
export const compareVerb: Verb = {
  name: 'compare',
  summary: 'compare two models: nodes added/removed/changed, per-weight change, outputs and first divergence on one input',
  usage: '<model-a> <model-b> [--input [name=]file ...] [--dim symbol=value ...] [--ep cpu] [--no-outputs] [--tolerance F] [--bins N] [--server URL [--server-model NAME[:VERSION]]] [--json]  (--server runs model A there)',
  flags: ['input', 'dim', 'ep', 'bins', 'no-outputs', 'tolerance', ...SERVER_FLAGS],
  async run(args, io) {
    if (args.positionals.length !== 2) throw new UsageError(`compare needs two model paths, got ${args.positionals.length}: model-inspector compare ${this.usage}`);
    if (args.noOutputs && (args.inputs.length || args.tolerance !== undefined)) throw new UsageError('--no-outputs skips running the models; --input and --tolerance need them');
    const [pathA, pathB] = args.positionals;
    checkServerFlags(args);
    const inputs: RunInputSpec[] = args.inputs.map((i) => (i.name ? { name: i.name, file: i.file } : { file: i.file }));
    let ma: Model | undefined;
    let mb: Model | undefined;
    try {
      ma = await openModelChecked(pathA);
      mb = await openModelChecked(pathB);
      // Bindings are per file: the served model is compared with another file (a copy, to check the served one).
      if (args.server !== undefined && resolve(ma.path) === resolve(mb.path)) throw new UsageError('compare --server runs model A on the server and B here: B must be another file (a copy of A compares the served model with the local one)');
      bindCliServer(ma, args);
      const r = await compareModels(ma, mb, { outputs: !args.noOutputs, inputs, dims: args.dims, providers: args.eps, tolerance: args.tolerance, bins: args.bins });
      const json = compareJson(r);
      // On a server, model A's forward passes ran there: said in the JSON and the text (its session is cached).
      const served = args.server !== undefined && !args.noOutputs ? (await sessions.get(ma, { providers: args.eps })).session : undefined;
      const server = served?.server ? { runs: 'a', provider: served.provider, ...served.server } : undefined;
      io.out(args.json ? JSON.stringify(server ? { ...json, server } : json) + '\n' : compareText(json) + (server ? `model A ran on ${server.provider}\n` : ''));
      return 0;
    } finally {
      await ma?.dispose?.();
      await mb?.dispose?.();
    }
  },
};
