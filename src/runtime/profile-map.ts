import type { Graph } from '../model/graph';
import type { ProfileRow, WireNodeOverlay } from '../protocol/run';
import type { KernelEvent } from './backends/onnxruntime/profile';

/**
 * Maps ORT's per-node kernel times back onto the IR's node ids:
 *  1. by name, for nodes the file names (ORT keeps them);
 *  2. by ORT's generated "<op>_<index>" name for unnamed nodes, checked against the IR node at that index and op type;
 *  3. for kernels the optimiser made (fusions: "r1_nchwc", "/MatMulAddFusion"), by the output value the name starts
 *     with, to that value's producer. Anything else stays unmapped (nodeId null) and is counted in the notes.
 */
export function mapKernels(graph: Graph, kernels: KernelEvent[], runs: number): { rows: ProfileRow[]; notes: string[] } {
  const byName = new Map<string, string>();
  const dup = new Set<string>();
  for (const n of graph.nodes) {
    if (!n.name) continue;
    if (byName.has(n.name)) dup.add(n.name);
    byName.set(n.name, n.id);
  }
  for (const d of dup) byName.delete(d); // an ambiguous name maps nowhere rather than to the wrong node
  const rows: ProfileRow[] = [];
  let unmapped = 0;
  for (const k of kernels) {
    const row: ProfileRow = { nodeId: null, name: k.name, opType: k.opType, ms: k.us / 1000 / runs, share: 0, provider: k.provider };
    const named = byName.get(k.name);
    const at = k.index !== undefined ? graph.nodes[k.index] : undefined;
    if (named) {
      row.nodeId = named;
      row.mappedBy = 'name';
    } else if (at && !at.name && at.opType === k.opType && k.name === `${k.opType}_${k.index}`) {
      row.nodeId = at.id;
      row.mappedBy = 'index';
    } else {
      const producer = fusedProducer(graph, k.name);
      if (producer) {
        row.nodeId = producer;
        row.mappedBy = 'fused-output';
      } else unmapped++;
    }
    rows.push(row);
  }
  const total = rows.reduce((s, r) => s + r.ms, 0);
  for (const r of rows) r.share = total > 0 ? r.ms / total : 0;
  rows.sort((a, b) => b.ms - a.ms);
  const notes: string[] = [];
  if (unmapped) notes.push(`${unmapped} kernel(s) made by the runtime's graph optimiser match no node of the file (nodeId null)`);
  return { rows, notes };
}

/** "r1_nchwc" → producer of value "r1": the longest value name the kernel name starts with, followed by "_". */
function fusedProducer(graph: Graph, kernel: string): string | undefined {
  for (let cut = kernel.lastIndexOf('_'); cut > 0; cut = kernel.lastIndexOf('_', cut - 1)) {
    const v = graph.values.get(kernel.slice(0, cut));
    if (v?.producer) return v.producer;
  }
  return undefined;
}

/** Milliseconds per node (rows mapped to one node add up) as a graph overlay. */
export function profileOverlay(rows: ProfileRow[]): WireNodeOverlay {
  const values: Record<string, number> = {};
  for (const r of rows) if (r.nodeId) values[r.nodeId] = (values[r.nodeId] ?? 0) + r.ms;
  return { title: 'kernel time (ms)', values, scale: 'sequential', unit: 'ms' };
}
