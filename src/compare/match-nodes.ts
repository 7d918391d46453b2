import type { Attribute, AttributeValue, Graph, Node } from '../model/graph';
import { formatShape } from '../model/shape';
import type { NodeMatchKind } from '../protocol/compare';

/**
 * Which nodes of graph A correspond to which of graph B, in four passes, each only over what is still unmatched:
 *  1. `name`: the same (unique, non-empty) node name;
 *  2. `weights`: a node reading a weight that the weights matching paired with one of B's reads the same as that B
 *     node (ONNX's "/conv1/Conv" reading conv1.weight ~ Keras's "conv1" layer reading conv1/kernel), so the same
 *     network saved in two formats, whose node names and operators share nothing, still lines up;
 *  3. `scope`: the same scope path and operator, paired by position among those siblings (a node renamed inside
 *     its layer: "/enc/attn/MatMul" → "/enc/attn/MatMul_1");
 *  4. `structure`: the same operator fed by already matched nodes at the same input positions (or by the same
 *     graph input position), repeated until nothing changes, so a renamed layer (its whole scope renamed) still
 *     matches as long as it sits where it sat. Without a matched neighbour nothing is guessed: two unrelated
 *     models come out as all removed / all added.
 * Matched pairs that differ in operator, attributes, input shapes or weight shapes/dtypes are `changed`; between two
 * formats (whose operators, attributes and layouts are named and laid out differently by design) only a different
 * number of weights is.
 */

export interface MatchNodesOptions {
  /** Weight pairs (A's weight name → B's) from the weights matching: anchors for the `weights` pass. */
  weightPairs?: ReadonlyMap<string, string>;
  /** The graphs come from different formats: operators are not compared by name, nor attributes and layouts. */
  crossFormat?: boolean;
}

export interface NodePair {
  /** Display keys (the node's name, its id when unnamed) on each side. */
  a: string;
  b: string;
  aId: string;
  bId: string;
  by: NodeMatchKind;
}

export interface ChangedNode {
  a: string;
  b: string;
  aId: string;
  bId: string;
  /** What differs, one short phrase each: "opType Conv → ConvTranspose", "attribute strides", "input 0 shape …". */
  what: string[];
}

export interface NodeDiff {
  /** Nodes only in B, by display key (name, else id). */
  added: string[];
  /** Nodes only in A. */
  removed: string[];
  changed: ChangedNode[];
  /** Node ids of `added` (in B) and `removed` (in A), in the same order, for the graph overlay. */
  addedIds: string[];
  removedIds: string[];
  /** Every matched pair, with how it was matched. */
  pairs: NodePair[];
  matchedBy: Record<NodeMatchKind, number>;
}

/** The structural pass repeats while it finds matches (each round can anchor the next), at most this many rounds. */
const MAX_ROUNDS = 8;

export function nodeKey(n: Node): string {
  return n.name || n.id;
}

export function matchNodes(ga: Graph, gb: Graph, opts: MatchNodesOptions = {}): NodeDiff {
  const aToB = new Map<Node, Node>();
  const bToA = new Map<Node, Node>();
  const by = new Map<Node, NodeMatchKind>();
  const link = (x: Node, y: Node, kind: NodeMatchKind) => {
    aToB.set(x, y);
    bToA.set(y, x);
    by.set(x, kind);
  };

  // 1. by unique name
  const uniqueByName = (g: Graph) => {
    const seen = new Map<string, Node | null>();
    for (const n of g.nodes) if (n.name) seen.set(n.name, seen.has(n.name) ? null : n);
    return seen;
  };
  const namesB = uniqueByName(gb);
  for (const [name, x] of uniqueByName(ga)) {
    const y = namesB.get(name);
    if (x && y) link(x, y, 'name');
  }

  // 2. by the weights they read
  if (opts.weightPairs?.size) {
    const byIdB = new Map(gb.nodes.map((n) => [n.id, n]));
    const sameOp = (x: Node, y: Node) => opts.crossFormat || (x.opType === y.opType && x.domain === y.domain);
    for (const x of ga.nodes) {
      if (aToB.has(x)) continue;
      for (const v of x.inputs) {
        const wb = v && ga.values.get(v)?.initializer ? opts.weightPairs.get(v) : undefined;
        if (!wb) continue;
        // A weight shared by several nodes: the first unmatched reader in graph order, as in the structural pass.
        const y = (gb.values.get(wb)?.consumers ?? []).map((id) => byIdB.get(id)).find((c) => c && !bToA.has(c) && sameOp(x, c));
        if (!y) continue;
        link(x, y, 'weights');
        break;
      }
    }
  }

  // 3. by scope + operator + position among the unmatched siblings
  const groups = (g: Graph, taken: Map<Node, Node>) => {
    const m = new Map<string, Node[]>();
    for (const n of g.nodes) {
      if (taken.has(n) || !n.scope) continue;
      const k = `${n.scope}\u0000${n.domain}\u0000${n.opType}`;
      const list = m.get(k);
      if (list) list.push(n);
      else m.set(k, [n]);
    }
    return m;
  };
  const groupsB = groups(gb, bToA);
  for (const [k, xs] of groups(ga, aToB)) {
    const ys = groupsB.get(k);
    if (!ys) continue;
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) link(xs[i], ys[i], 'scope');
  }

  // 4. by structure: same operator reading, at the same input position, the value B has where A has its input (the
  // matched producer's output in the same slot, or the graph input in the same position). Nodes are visited in graph
  // order (topological in ONNX), so a renamed chain is matched in one sweep; sweeps repeat while they find more.
  const producerA = producers(ga);
  const inputPosA = new Map(ga.inputs.map((v, i) => [v, i]));
  const byIdB = new Map(gb.nodes.map((n) => [n.id, n]));
  /** The value of B that corresponds to A's value `v`, when its origin is matched. */
  const counterpart = (v: string): string | undefined => {
    const p = producerA.get(v);
    if (p) {
      const y = aToB.get(p.node);
      return y?.outputs[p.slot] || undefined;
    }
    const gi = inputPosA.get(v);
    return gi !== undefined ? gb.inputs[gi] : undefined;
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let added = 0;
    for (const x of ga.nodes) {
      if (aToB.has(x)) continue;
      for (let i = 0; i < x.inputs.length; i++) {
        const vb = x.inputs[i] ? counterpart(x.inputs[i]) : undefined;
        if (!vb) continue;
        // Several candidates (a value feeding two Convs): the first in graph order, as siblings keep their order.
        const y = (gb.values.get(vb)?.consumers ?? []).map((id) => byIdB.get(id)).find(
          (c) => c && !bToA.has(c) && c.opType === x.opType && c.domain === x.domain && c.inputs[i] === vb,
        );
        if (!y) continue;
        link(x, y, 'structure');
        added++;
        break;
      }
    }
    if (!added) break;
  }

  const pairs: NodePair[] = [];
  const changed: ChangedNode[] = [];
  for (const x of ga.nodes) {
    const y = aToB.get(x);
    if (!y) continue;
    pairs.push({ a: nodeKey(x), b: nodeKey(y), aId: x.id, bId: y.id, by: by.get(x)! });
    const what = opts.crossFormat ? weightCountDifference(x, y, ga, gb) : nodeDifferences(x, y, ga, gb);
    if (what.length) changed.push({ a: nodeKey(x), b: nodeKey(y), aId: x.id, bId: y.id, what });
  }
  const removedNodes = ga.nodes.filter((n) => !aToB.has(n));
  const addedNodes = gb.nodes.filter((n) => !bToA.has(n));
  const matchedBy: Record<NodeMatchKind, number> = { name: 0, weights: 0, scope: 0, structure: 0 };
  for (const p of pairs) matchedBy[p.by]++;
  return {
    added: addedNodes.map(nodeKey),
    removed: removedNodes.map(nodeKey),
    changed,
    addedIds: addedNodes.map((n) => n.id),
    removedIds: removedNodes.map((n) => n.id),
    pairs,
    matchedBy,
  };
}

function producers(g: Graph): Map<string, { node: Node; slot: number }> {
  const m = new Map<string, { node: Node; slot: number }>();
  for (const n of g.nodes) n.outputs.forEach((o, slot) => o && m.set(o, { node: n, slot }));
  return m;
}

const weightInputs = (n: Node, g: Graph) => n.inputs.filter((v) => v && g.values.get(v)?.initializer);

/** Between formats, the one difference that means something: the nodes read a different number of weights. */
function weightCountDifference(x: Node, y: Node, ga: Graph, gb: Graph): string[] {
  const nx = weightInputs(x, ga).length;
  const ny = weightInputs(y, gb).length;
  return nx === ny ? [] : [`weights ${nx} → ${ny}`];
}

/** What differs between two matched nodes: operator, attributes, input shapes (activations), weight shapes/dtypes. */
export function nodeDifferences(x: Node, y: Node, ga: Graph, gb: Graph): string[] {
  const what: string[] = [];
  if (x.opType !== y.opType || x.domain !== y.domain) {
    const op = (n: Node) => (n.domain ? `${n.domain}.${n.opType}` : n.opType);
    what.push(`opType ${op(x)} → ${op(y)}`);
  }
  const ax = new Map(x.attributes.map((a) => [a.name, a]));
  const ay = new Map(y.attributes.map((a) => [a.name, a]));
  for (const name of new Set([...ax.keys(), ...ay.keys()])) {
    const p = ax.get(name);
    const q = ay.get(name);
    if (!p) what.push(`attribute ${name} added`);
    else if (!q) what.push(`attribute ${name} removed`);
    else if (attributeText(p) !== attributeText(q)) what.push(`attribute ${name}`);
  }
  // Weights are compared by shape and dtype (their values are the weights comparison's job); activations by shape.
  const weightsX = weightInputs(x, ga);
  const weightsY = weightInputs(y, gb);
  if (weightsX.length !== weightsY.length) what.push(`weights ${weightsX.length} → ${weightsY.length}`);
  for (let i = 0; i < Math.min(weightsX.length, weightsY.length); i++) {
    const tx = ga.values.get(weightsX[i])!.initializer!;
    const ty = gb.values.get(weightsY[i])!.initializer!;
    if (formatShape(tx.shape) !== formatShape(ty.shape)) what.push(`weight ${tx.name} shape ${formatShape(tx.shape)} → ${formatShape(ty.shape)}`);
    if (tx.dtype !== ty.dtype) what.push(`weight ${tx.name} dtype ${tx.dtype} → ${ty.dtype}`);
  }
  const actsX = x.inputs.filter((v) => !v || !ga.values.get(v)?.initializer);
  const actsY = y.inputs.filter((v) => !v || !gb.values.get(v)?.initializer);
  if (actsX.length !== actsY.length) what.push(`inputs ${actsX.length} → ${actsY.length}`);
  for (let i = 0; i < Math.min(actsX.length, actsY.length); i++) {
    const sx = actsX[i] ? ga.values.get(actsX[i])?.shape : undefined;
    const sy = actsY[i] ? gb.values.get(actsY[i])?.shape : undefined;
    // Unknown on either side is not a difference we can claim.
    if (sx && sy && formatShape(sx) !== formatShape(sy)) what.push(`input ${i} shape ${formatShape(sx)} → ${formatShape(sy)}`);
  }
  return what;
}

/** A comparable text of an attribute's value (tensor attributes by dtype, shape and bytes length; graphs by size). */
function attributeText(a: Attribute): string {
  const v: AttributeValue = a.value;
  switch (v.type) {
    case 'tensor': return `tensor ${v.value.dtype} ${formatShape(v.value.shape)}`;
    case 'tensors': return `tensors ${v.value.map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(';')}`;
    case 'graph': return `graph ${v.value.nodes.length}`;
    case 'graphs': return `graphs ${v.value.map((g) => g.nodes.length).join(',')}`;
    default: return `${v.type} ${JSON.stringify(v.value)}`;
  }
}
