import type { Graph, Model } from '../model/graph';
import type { RunInputSpec, WireNodeOverlay } from '../protocol/run';
import type { NodeDiff } from './match-nodes';
import { matchNodes } from './match-nodes';
import { matchTensors } from './match-tensors';
import type { CompareJson } from '../protocol/compare';
import type { TensorComparison, WeightsComparison } from './compare-weights';
import { compareWeights } from './compare-weights';
import type { OutputsComparison } from './compare-outputs';
import { compareOutputs } from './compare-outputs';

/**
 * Two opened models compared: structure (nodes), weights, and optionally outputs on the same input. The result holds
 * summaries only (histograms of 64 bins, no tensor values), so it can go to the webview as is; `compareJson` is the
 * CLI's public `--json` shape.
 */

export interface CompareOptions {
  /** Run both models on the same input (default true). */
  outputs?: boolean;
  inputs?: RunInputSpec[];
  dims?: Record<string, number>;
  providers?: string[];
  tolerance?: number;
  bins?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface CompareResult {
  a: { path: string; format: string };
  b: { path: string; format: string };
  nodes: NodeDiff;
  weights: WeightsComparison;
  outputs?: OutputsComparison;
}

export async function compareModels(ma: Model, mb: Model, opts: CompareOptions = {}): Promise<CompareResult> {
  const tensors = matchTensors(ma, mb);
  // Nodes line up through their weights too: the same network in two formats shares weights, not node names.
  const nodes = matchNodes(ma.graph, mb.graph, {
    weightPairs: new Map(tensors.pairs.map((p) => [p.a.name, p.b.name])),
    crossFormat: ma.format !== mb.format,
  });
  const progress = (lo: number, hi: number) => (f: number, m: string) => opts.onProgress?.(lo + (hi - lo) * f, m);
  const withOutputs = opts.outputs ?? true;
  const weights = await compareWeights(ma, mb, { bins: opts.bins, signal: opts.signal, onProgress: progress(0, withOutputs ? 0.6 : 1) }, tensors);
  const result: CompareResult = { a: { path: ma.path, format: ma.format }, b: { path: mb.path, format: mb.format }, nodes, weights };
  if (withOutputs) {
    result.outputs = await compareOutputs(ma, mb, {
      inputs: opts.inputs, dims: opts.dims, providers: opts.providers, tolerance: opts.tolerance,
      modelA: ma, modelB: mb, nodes, signal: opts.signal, onProgress: progress(0.6, 1),
    });
  }
  return result;
}

/** The public `compare --json` object: {nodes: {added, removed, changed}, tensors: [...], outputs?: [...]} plus extras. */
export function compareJson(r: CompareResult): CompareJson {
  const tensor = (t: TensorComparison): CompareJson['tensors'][number] => ({
    name: t.name, ...(t.b !== undefined ? { b: t.b } : {}), relChange: t.relChange, cosine: t.cosine, maxAbsDiff: t.maxAbsDiff,
    matchedBy: t.matchedBy, ...(t.transposed ? { transposed: t.transposed } : {}), shape: t.shape, dtype: t.dtype,
    ...(t.dtypeB ? { dtypeB: t.dtypeB } : {}), count: t.count, nonFinite: t.nonFinite,
    ...(t.histogram ? { histogram: t.histogram } : {}), ...(t.problem ? { problem: t.problem } : {}),
  });
  const json: CompareJson = {
    nodes: {
      added: r.nodes.added, removed: r.nodes.removed,
      changed: r.nodes.changed.map((c) => ({ a: c.a, b: c.b, what: c.what })),
      matched: r.nodes.pairs.length, matchedBy: r.nodes.matchedBy,
    },
    tensors: r.weights.tensors.map(tensor),
    scopes: r.weights.scopes,
    unmatched: r.weights.unmatched,
    mismatched: r.weights.mismatched,
    relChange: r.weights.relChange,
    a: r.a,
    b: r.b,
  };
  if (r.outputs?.skipped) json.outputsSkipped = r.outputs.skipped;
  else if (r.outputs) {
    json.outputs = r.outputs.outputs.map((o) => ({
      name: o.name, ...(o.b !== undefined ? { b: o.b } : {}), maxAbsDiff: o.maxAbsDiff, cosine: o.cosine, topkAgreement: o.topkAgreement,
      relError: o.relError, shape: o.shape, ...(o.k !== undefined ? { k: o.k, top1Agreement: o.top1Agreement } : {}),
      ...(o.layout ? { layout: o.layout } : {}), ...(o.problem ? { problem: o.problem } : {}),
    }));
    json.divergence = r.outputs.divergence;
    if (r.outputs.divergenceSkipped) json.divergenceSkipped = r.outputs.divergenceSkipped;
    json.tolerance = r.outputs.tolerance;
    json.inputs = r.outputs.inputs;
  }
  return json;
}

/**
 * Graph overlay values for one side of a comparison: 1 = added (B) / removed (A), 0.5 = changed, 0 = unchanged, and
 * on the divergent node 2 (A's or B's id). For the host to pass to the Graph view's existing overlay mechanism.
 * With that side's graph, a matched node reading a weight that changed gets 0.25: a fine-tuned model has the same
 * structure as its base, and its graph would otherwise be one flat colour.
 */
export function compareOverlay(r: CompareResult, side: 'a' | 'b', graph?: Graph): WireNodeOverlay {
  const values: Record<string, number> = {};
  for (const p of r.nodes.pairs) values[side === 'a' ? p.aId : p.bId] = 0;
  let weighted = false;
  if (graph) {
    const moved = new Set(r.weights.tensors.filter((t) => (t.relChange ?? 0) > 0).map((t) => (side === 'a' ? t.name : t.b ?? t.name)));
    for (const n of graph.nodes) {
      if (values[n.id] === 0 && n.inputs.some((v) => moved.has(v))) {
        values[n.id] = 0.25;
        weighted = true;
      }
    }
  }
  for (const c of r.nodes.changed) values[side === 'a' ? c.aId : c.bId] = 0.5;
  for (const id of side === 'a' ? r.nodes.removedIds : r.nodes.addedIds) values[id] = 1;
  const d = r.outputs?.divergence;
  if (d) values[side === 'a' ? d.nodeId : d.nodeIdB] = 2;
  const title = `compare: ${side === 'a' ? 'removed' : 'added'} 1, changed 0.5${weighted ? ', weights changed 0.25' : ''}, same 0${d ? ', first divergence 2' : ''}`;
  // Always the same list (in this order), so each category keeps its colour from one comparison to the next.
  const categories = [{ value: 0, label: 'unchanged' }, { value: 0.25, label: 'weights changed' }, { value: 0.5, label: 'changed' },
    { value: 1, label: side === 'a' ? 'removed (only in this model)' : 'added (only in this model)' }, ...(d ? [{ value: 2, label: 'first divergence' }] : [])];
  return { title, values, scale: 'sequential', categories };
}
