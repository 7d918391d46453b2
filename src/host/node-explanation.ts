// vscode-free: composes the side panel's explanation of one node from engine answers (tested against a real engine).
import { describeOperator } from '../explain/op-docs';
import type { GraphNodeDetails, GraphTensorInfo } from '../protocol/graph';
import type { ExplainedTensor, ExplainedWeight, NodeExplanation, WeightHealth } from '../protocol/node-explanation';
import { MAX_EXPLAINED_ATTRIBUTES } from '../protocol/node-explanation';
import type { ModelStats, Severity } from '../protocol/stats';
import type { HostEvents } from '../protocol/webview';
import type { EngineCaller, ModelHandle } from './model-handle';
import { withFileName } from './model-handle';

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };
const MAX_TENSORS = 16;

/** Details of the node (one engine call, cheap): everything but the weight health. */
export async function explainNode(engine: EngineCaller, modelId: string, nodeId: string, graph = ''): Promise<NodeExplanation> {
  const d = await engine.call('getNodeDetails', graph ? { modelId, graph, nodeId } : { modelId, nodeId });
  return fromDetails(d, graph);
}

export function fromDetails(d: GraphNodeDetails, graph = ''): NodeExplanation {
  const weights: ExplainedWeight[] = d.inputs.filter((t) => t.weight).map((t) => ({ ...tensor(t), count: t.weight!.elementCount }));
  const attributes = d.attributes.slice(0, MAX_EXPLAINED_ATTRIBUTES).map((a) => `${a.name} = ${a.value}`);
  const x: NodeExplanation = {
    nodeId: d.id,
    opType: d.opType,
    domain: d.domain,
    name: d.name,
    description: describeOperator(d.opType, d.domain) ?? `No description written for ${d.opType} yet.`,
    attributes,
    // Weights are listed (with health) below, so the inputs are the data flowing in.
    inputs: d.inputs.filter((t) => !t.weight).slice(0, MAX_TENSORS).map(tensor),
    outputs: d.outputs.slice(0, MAX_TENSORS).map(tensor),
    parameterCount: weights.reduce((s, w) => s + w.count, 0),
    weights,
  };
  if (graph) x.graph = graph;
  if (d.attributes.length > attributes.length) x.attributesOmitted = d.attributes.length - attributes.length;
  return x;
}

/** Adds each weight's worst health finding ('ok' when the pass found none) from the model's weight stats. */
export function withHealth(x: NodeExplanation, stats: ModelStats): NodeExplanation {
  const checked = new Set(stats.tensors.map((t) => t.name));
  const worst = new Map<string, { severity: Severity; message: string }>();
  for (const f of stats.findings) {
    const prev = worst.get(f.tensor);
    if (!prev || SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev.severity]) worst.set(f.tensor, { severity: f.severity, message: f.message });
  }
  const weights = x.weights.map((w): ExplainedWeight => {
    const health: WeightHealth | undefined = worst.get(w.name) ?? (checked.has(w.name) ? 'ok' : undefined);
    return health ? { ...w, health } : w;
  });
  return { ...x, weights };
}

/** The weight stats are one cached pass per model: the first call may take a while on a big model, later ones are instant. */
export async function explainNodeHealth(engine: EngineCaller, modelId: string, x: NodeExplanation): Promise<NodeExplanation> {
  if (x.weights.length === 0) return x;
  try {
    return withHealth(x, await engine.call('getWeightStats', { modelId } as never /* Record<string, never> & { modelId } types as never */));
  } catch (e) {
    return { ...x, healthNote: `Weight health not available: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function tensor(t: GraphTensorInfo): ExplainedTensor {
  const out: ExplainedTensor = { name: t.name };
  if (t.dtype) out.dtype = t.dtype;
  if (t.shape !== undefined) out.shape = t.shape;
  return out;
}

export type NodeSelectedPayload = HostEvents['nodeSelected'];

/**
 * The side view's flow for one selection: the id at once, the explanation after one quick call, then the same with
 * weight health. `publish` returns false once a newer selection replaced this one, which stops the flow.
 */
export async function explainSelection(
  engine: () => EngineCaller,
  model: ModelHandle,
  nodeId: string,
  graph: string | undefined,
  publish: (p: NodeSelectedPayload) => boolean,
): Promise<void> {
  if (!publish({ nodeId })) return;
  try {
    const { modelId } = await model.open();
    const x = await explainNode(engine(), modelId, nodeId, graph);
    if (!publish({ nodeId, explanation: x }) || x.weights.length === 0) return;
    publish({ nodeId, explanation: await explainNodeHealth(engine(), modelId, x) });
  } catch (e) {
    publish({ nodeId, error: withFileName(model.fileName, e instanceof Error ? e.message : String(e)) });
  }
}
