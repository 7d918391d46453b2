import type { Graph, Model, Node } from './graph';
import type { Tensor } from './tensor';

/** Every graph of a model: the main graph, then subgraphs depth-first, then function bodies. */
export function* allGraphs(model: Model): Generator<Graph> {
  yield* graphAndSubgraphs(model.graph);
  for (const f of model.functions) yield* graphAndSubgraphs(f);
}

export function* graphAndSubgraphs(graph: Graph): Generator<Graph> {
  const stack: Graph[] = [graph];
  while (stack.length) {
    const g = stack.pop()!;
    yield g;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const subs = g.nodes[i].subgraphs;
      for (let j = subs.length - 1; j >= 0; j--) stack.push(subs[j].graph);
    }
  }
}

/** Weight tensors of the main graph and its subgraphs (not function bodies: those have no initializers). */
export function allWeights(model: Model): Tensor[] {
  const out: Tensor[] = [];
  for (const g of graphAndSubgraphs(model.graph)) out.push(...g.initializers);
  return out;
}

/** Elements of all initializers/weights, the number users compare with "N parameters". */
export function parameterCount(model: Model): number {
  let n = 0;
  for (const t of allWeights(model)) n += t.elementCount;
  return n;
}

export function parameterBytes(model: Model): number {
  let n = 0;
  for (const t of allWeights(model)) n += t.data?.byteLength ?? 0;
  return n;
}

export function opTypeCounts(graph: Graph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const g of graphAndSubgraphs(graph)) {
    for (const n of g.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  }
  return counts;
}

export function findNode(model: Model, id: string): Node | undefined {
  for (const g of allGraphs(model)) {
    const n = g.nodes.find((x) => x.id === id);
    if (n) return n;
  }
  return undefined;
}
