import { openModelChecked } from '../engine/open';
import { summarize } from '../runtime/summary';
import type { ModelSummary, WireShape } from '../protocol/summary';
import { fileSizeText, formatBytes, formatCount, otherTensorsText } from '../protocol/summary';
import type { Verb } from './verb';
import { modelPathArg } from './verb';

/** Reads a model and summarizes it; shared by `inspect` and any verb that wants the summary. */
export async function inspectFile(path: string): Promise<ModelSummary> {
  const model = await openModelChecked(path);
  try {
    return summarize(model);
  } finally {
    await model.dispose?.();
  }
}

const shapeText = (s: WireShape) => (s === null ? '(rank unknown)' : `[${s.join(', ')}]`);

/** The readable form of a summary: what a user scanning a terminal wants first. */
export function summaryText(s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${s.file}  (${s.format}, ${fileSizeText(s)})`);
  const facts: string[] = [];
  if (s.producer?.name) facts.push(`producer ${s.producer.name}${s.producer.version ? ` ${s.producer.version}` : ''}`);
  if (s.irVersion !== undefined) facts.push(`IR v${s.irVersion}`);
  if (s.opsets.length) facts.push(`opsets ${s.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}`);
  if (facts.length) lines.push(facts.join('  ·  '));
  const io = (title: string, list: ModelSummary['inputs']) => {
    lines.push(`${title} (${list.length}):`);
    const w = Math.min(40, Math.max(0, ...list.map((v) => v.name.length)));
    for (const v of list) lines.push(`  ${v.name.padEnd(w)}  ${v.dtype}  ${shapeText(v.shape)}`);
  };
  io('inputs', s.inputs);
  io('outputs', s.outputs);
  const nodes = s.totalNodeCount !== s.nodeCount ? `${s.nodeCount} in the main graph, ${s.totalNodeCount} in all` : String(s.nodeCount);
  lines.push(`nodes: ${nodes}`);
  if (s.subgraphCount || s.functionCount) lines.push(`subgraphs: ${s.subgraphCount}  functions: ${s.functionCount}`);
  lines.push(`parameters: ${formatCount(s.parameterCount)} (${s.parameterCount.toLocaleString('en-US')}) in ${s.weightCount} weights (${formatBytes(s.parameterBytes)})`);
  const other = otherTensorsText(s.otherTensors, formatCount);
  if (other) lines.push(`also stored (not parameters): ${other}`);
  const ops = Object.entries(s.opTypeCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (ops.length) {
    const shown = ops.slice(0, 12).map(([op, n]) => `${op} ${n}`).join(', ');
    lines.push(`ops: ${shown}${ops.length > 12 ? `, … (${ops.length} kinds)` : ''}`);
  }
  const meta = Object.entries(s.metadata);
  if (meta.length) {
    lines.push('metadata:');
    for (const [k, raw] of meta) {
      const v = raw.replace(/\s+/g, ' ');
      lines.push(`  ${k}: ${v.length > 120 ? `${v.slice(0, 119)}…` : v}`);
    }
  }
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

export const inspectVerb: Verb = {
  name: 'inspect',
  summary: 'format, inputs/outputs, node and parameter counts, opsets',
  usage: '<model> [--json]',
  flags: [],
  async run(args, io) {
    const summary = await inspectFile(modelPathArg(this, args));
    io.out(args.json ? JSON.stringify(summary) + '\n' : summaryText(summary));
    return 0;
  },
};
