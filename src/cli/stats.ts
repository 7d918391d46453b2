import { openModelChecked } from '../engine/open';
import type { ModelStats, StatsBlock } from '../protocol/stats';
import { computeModelStats } from '../stats';
import type { Verb } from './verb';
import { formatCount } from '../protocol/summary';
import { modelPathArg } from './verb';

const num = (x: number | null): string => (x === null ? '-' : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4));

/**
 * The public `--json` contract: tensors with name, dtype, shape, count, min, max, mean, std, zeros, nan, inf and
 * histogram {edges, counts}, then findings. Extra fields (percentiles, groups) ride along; consumers ignore them.
 */
export function statsJson(s: ModelStats): string {
  return JSON.stringify({ tensors: s.tensors, findings: s.findings, groups: s.groups, model: s.model });
}

function statsText(s: ModelStats): string {
  const lines: string[] = [];
  const row = (name: string, b: StatsBlock, dtype: string) =>
    `${name.length > 48 ? `…${name.slice(-47)}` : name.padEnd(48)} ${dtype.padEnd(8)} ${String(b.count).padStart(10)} ${num(b.min).padStart(10)} ${num(b.max).padStart(10)} ${num(b.mean).padStart(10)} ${num(b.std).padStart(10)} ${(b.sparsity * 100).toFixed(1).padStart(6)}%`;
  lines.push(`${'tensor'.padEnd(48)} ${'dtype'.padEnd(8)} ${'count'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)} ${'mean'.padStart(10)} ${'std'.padStart(10)} ${'zeros'.padStart(7)}`);
  const line = (t: ModelStats['tensors'][number]) => (t.problem ? `${t.name}: ${t.problem}` : row(t.name, t, t.dtype));
  for (const t of s.tensors) if (!t.role) lines.push(line(t));
  const others = s.tensors.filter((t) => t.role);
  if (others.length) {
    lines.push('', `not weights (${others.length}; left out of the model line and the findings):`);
    for (const t of others) lines.push(`${line(t)}  [${t.role}]`);
  }
  lines.push('');
  lines.push(`model: ${formatCount(s.model.count)} values in ${s.model.tensors} tensors, ${s.groups.length} groups; mean ${num(s.model.mean)}, std ${num(s.model.std)}, p1/p50/p99 ${num(s.model.p1)} / ${num(s.model.p50)} / ${num(s.model.p99)}`);
  lines.push(s.findings.length ? `findings (${s.findings.length}):` : 'findings: none');
  for (const f of s.findings) lines.push(`  ${f.severity.padEnd(7)} ${f.kind.padEnd(13)} ${f.tensor}: ${f.message}`);
  return lines.join('\n') + '\n';
}

export const statsVerb: Verb = {
  name: 'stats',
  summary: 'weight statistics, histograms and the tensor health report',
  usage: '<model> [--json] [--bins N]',
  flags: ['bins'],
  async run(args, io) {
    const model = await openModelChecked(modelPathArg(this, args));
    try {
      const stats = await computeModelStats(model, { bins: args.bins ?? 64 });
      io.out(args.json ? statsJson(stats) + '\n' : statsText(stats));
      return 0;
    } finally {
      await model.dispose?.();
    }
  },
};
