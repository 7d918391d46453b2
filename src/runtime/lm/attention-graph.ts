import type { Graph, Node } from '../../model/graph';

/**
 * What the attention and logit-lens patterns need to know of a graph: which values carry data computed from the
 * inputs ("dynamic": activations), as opposed to weights, constants and shape arithmetic. A residual Add adds two
 * activations, a QKᵀ MatMul multiplies two; a projection multiplies an activation by a weight.
 */
export interface GraphIndex {
  readonly graph: Graph;
  readonly byId: Map<string, Node>;
  /** value name → the node writing it */
  readonly producer: Map<string, Node>;
  /** value name → nodes reading it */
  readonly consumers: Map<string, Node[]>;
  /** Activations: values that depend on a graph input through data (shapes alone do not count). */
  readonly dynamic: Set<string>;
  /** node id → position in the graph's (topological) node order */
  readonly order: Map<string, number>;
}

/** Ops whose outputs depend on their input's shape only, never its values. */
const SHAPE_ONLY = new Set(['Shape', 'Size', 'Constant', 'ConstantOfShape', 'EyeLike', 'Range']);

const cache = new WeakMap<Graph, GraphIndex>();

export function indexGraph(graph: Graph): GraphIndex {
  const have = cache.get(graph);
  if (have) return have;
  const byId = new Map<string, Node>();
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  const order = new Map<string, number>();
  const dynamic = new Set<string>(graph.inputs);
  graph.nodes.forEach((n, i) => {
    byId.set(n.id, n);
    order.set(n.id, i);
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const v of n.inputs) {
      if (!v) continue;
      const list = consumers.get(v);
      if (list) list.push(n);
      else consumers.set(v, [n]);
    }
    if (!SHAPE_ONLY.has(n.opType) && n.inputs.some((v) => v && dynamic.has(v))) for (const o of n.outputs) if (o) dynamic.add(o);
  });
  const index = { graph, byId, producer, consumers, dynamic, order };
  cache.set(graph, index);
  return index;
}

/** The node's inputs that are activations. */
export function dynamicInputs(ix: GraphIndex, n: Node): string[] {
  return n.inputs.filter((v) => v && ix.dynamic.has(v));
}

/** An Add of two activations: a residual connection (or the token + position embedding sum). */
export function isResidualAdd(ix: GraphIndex, n: Node | undefined): n is Node {
  return !!n && n.opType === 'Add' && n.domain === '' && dynamicInputs(ix, n).length === 2;
}

/** An integer attribute, or `dflt`. */
export function intAttr(n: Node, name: string, dflt: number): number {
  const a = n.attributes.find((x) => x.name === name);
  return a?.value.type === 'int' ? Number(a.value.value) : dflt;
}

/** How a node is named to users: its name, else its id. */
export function nodeLabel(n: Node): string {
  return n.name || n.id;
}
