import type { Graph, Model, Node } from '../model/graph';
import type { Tensor } from '../model/tensor';
import { allWeights } from '../model/walk';
import { formatOf } from '../formats/registry';
import type { TensorMatchKind } from '../protocol/compare';

/**
 * Which weight of model A is which weight of model B, across formats. Passes, each over what is still unmatched:
 *  1. `name`: the same name;
 *  2. `normalized`: the same name after normalization — `:0` suffixes dropped, `/` and `.` unified, TF/Keras leaf
 *     names mapped to PyTorch's (kernel→weight, gamma→weight, beta→bias, moving_mean→running_mean, …), and a
 *     wrapper prefix on one side allowed ("sequential/dense/kernel" ~ "dense.weight") when that suffix is unique;
 *  3. `consumer`: weights whose names say nothing (ONNX exporter names like "onnx::MatMul_123") get a name from the
 *     node that reads them — its scope plus the role of the input ("/fc1/MatMul" input 1 → "fc1.weight");
 *  4. `shape-order`: when what is left on both sides is equally long and pairwise shape-compatible in order, it is
 *     paired in order (same architecture, different naming). Anything else stays unmatched and is reported.
 * A pair whose shapes differ only by a permutation (Keras Dense kernel [in, out] vs an ONNX Gemm weight [out, in],
 * Keras Conv [kh, kw, in, out] vs ONNX [out, in, kh, kw]) carries `perm`: B's axis k is A's axis perm[k].
 */

export interface TensorPair {
  a: Tensor;
  b: Tensor;
  by: TensorMatchKind;
  /** The normalized name the pair is reported and grouped under ("fc1.weight"). */
  key: string;
  /** Set when B holds A permuted: b.shape[k] === a.shape[perm[k]]. */
  perm?: number[];
}

export interface TensorMatch {
  pairs: TensorPair[];
  /** Weights of each side that found no partner. */
  unmatched: { a: string[]; b: string[] };
  /** Pairs by name whose shapes are not compatible (not compared). */
  mismatched: { a: string; b: string; reason: string }[];
}

/** Layout of a 2-D/4-D weight, when the reading node or the format says it. */
/** 'o…': output channels first, the other axes unknown (a 4-D weight of a channels-first format: OIHW or OHWI). */
type Layout = 'in,out' | 'out,in' | 'hwio' | 'oihw' | 'o…' | undefined;

interface Side {
  model: Model;
  tensors: Tensor[];
  /** The nodes that read each weight. */
  consumers: Map<string, { node: Node; index: number }[]>;
}

const LEAF_SYNONYMS: Record<string, string> = {
  kernel: 'weight', gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var',
  embeddings: 'weight', depthwise_kernel: 'weight', scale: 'weight',
};

/** "model/dense/kernel:0" → "model.dense.weight"; "/encoder/layer.0/attn" → "encoder.layer.0.attn". */
export function normalizeName(name: string): string {
  const parts = name.replace(/:\d+$/, '').split(/[/.]/).filter(Boolean);
  if (parts.length) parts[parts.length - 1] = LEAF_SYNONYMS[parts[parts.length - 1].toLowerCase()] ?? parts[parts.length - 1];
  return parts.join('.');
}

/** Names exporters invent that carry no layer name. */
function isOpaqueName(name: string): boolean {
  return /^onnx::/.test(name) || /^(initializer|const(ant)?(_fold(ed)?)?_?\w*?)\d*$/i.test(name) || /^_v_\d+$/.test(name);
}

function side(model: Model): Side {
  const consumers = new Map<string, { node: Node; index: number }[]>();
  const visit = (g: Graph) => {
    for (const n of g.nodes) {
      n.inputs.forEach((v, index) => {
        if (!v || !g.values.get(v)?.initializer) return;
        const list = consumers.get(v);
        if (list) list.push({ node: n, index });
        else consumers.set(v, [{ node: n, index }]);
      });
    }
  };
  visit(model.graph);
  return { model, tensors: allWeights(model), consumers };
}

/** A name from the node reading the weight: "/fc1/MatMul" input 1 → "fc1.weight", input 2 → "fc1.bias". */
function consumerName(t: Tensor, s: Side): string | undefined {
  const c = s.consumers.get(t.name);
  if (!c || c.length !== 1) return undefined;
  const { node, index } = c[0];
  const base = node.scope || (node.name && !node.name.includes('/') ? node.name : '');
  if (!base) return undefined;
  const role = node.opType === 'Add' ? 'bias' : index === 1 ? 'weight' : index === 2 ? 'bias' : undefined;
  return role ? normalizeName(`${base}/${role}`) : undefined;
}

/**
 * How the weight's axes are laid out: ONNX says per reading node; every other format through its descriptor's
 * `channelAxis` (the one place a format's weight layout is written). Output channels first is [out, in] for 2-D;
 * for 4-D it says nothing about the other axes (PyTorch OIHW, TFLite OHWI): 'o…', resolved by shape in `relation`.
 */
function layout(t: Tensor, s: Side): Layout {
  const rank = t.shape.length;
  if (s.model.format !== 'onnx') {
    const first = formatOf(s.model).channelAxis === 'first';
    if (rank === 2) return first ? 'out,in' : 'in,out';
    return rank === 4 ? (first ? 'o…' : 'hwio') : undefined;
  }
  for (const { node, index } of s.consumers.get(t.name) ?? []) {
    if (index !== 1) continue;
    if (node.opType === 'MatMul' && rank === 2) return 'in,out';
    if (node.opType === 'Gemm' && rank === 2) {
      const tb = node.attributes.find((a) => a.name === 'transB')?.value;
      return tb && tb.type === 'int' && Number(tb.value) === 1 ? 'out,in' : 'in,out';
    }
    if (node.opType === 'Conv' && rank === 4) return 'oihw';
  }
  return undefined;
}

const sameShape = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

const onlyOne = (x: number[] | undefined, y: number[] | undefined) => (x && y ? undefined : x ?? y);

/**
 * How B relates to A: undefined when not comparable, [] when element orders agree, else the permutation. Layouts
 * decide when known (a square Dense kernel is still transposed); otherwise only a strictly reversed 2-D shape is.
 */

export function relation(a: Tensor, la: Layout, b: Tensor, lb: Layout): number[] | undefined {
  if (a.elementCount !== b.elementCount) return undefined;
  const permuted = (perm: number[]) => (sameShape(perm.map((k) => a.shape[k]), b.shape) ? perm : undefined);
  if (la && lb && la !== lb) {
    if ((la === 'in,out' && lb === 'out,in') || (la === 'out,in' && lb === 'in,out')) return permuted([1, 0]);
    if (la === 'hwio' && lb === 'oihw') return permuted([3, 2, 0, 1]);
    if (la === 'oihw' && lb === 'hwio') return permuted([2, 3, 1, 0]);
    // Output channels first against HWIO: OIHW or OHWI, whichever alone fits the shapes (both fit when in = kh = kw).
    if (la === 'hwio' && lb === 'o…') return onlyOne(permuted([3, 2, 0, 1]), permuted([3, 0, 1, 2]));
    if (la === 'o…' && lb === 'hwio') return onlyOne(permuted([2, 3, 1, 0]), permuted([1, 2, 3, 0]));
  }
  if (sameShape(a.shape, b.shape)) return [];
  if (a.shape.length === 2 && a.shape[0] === b.shape[1] && a.shape[1] === b.shape[0]) return [1, 0];
  return undefined;
}

export function matchTensors(ma: Model, mb: Model): TensorMatch {
  const A = side(ma);
  const B = side(mb);
  const pairs: TensorPair[] = [];
  const mismatched: TensorMatch['mismatched'] = [];
  const doneA = new Set<Tensor>();
  const doneB = new Set<Tensor>();
  const tryPair = (a: Tensor, b: Tensor, by: TensorMatchKind, key: string): boolean => {
    const r = relation(a, layout(a, A), b, layout(b, B));
    doneA.add(a);
    doneB.add(b);
    if (!r) {
      mismatched.push({ a: a.name, b: b.name, reason: `shape [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]` });
      return false;
    }
    pairs.push({ a, b, by, key, ...(r.length ? { perm: r } : {}) });
    return true;
  };

  // 1. exact name
  const byNameB = new Map(B.tensors.map((t) => [t.name, t]));
  for (const a of A.tensors) {
    const b = byNameB.get(a.name);
    if (b && !doneB.has(b)) tryPair(a, b, 'name', normalizeName(a.name));
  }

  // 2 and 3. normalized names, from the tensor's own name or (opaque names) from its consumer.
  const nameOf = (t: Tensor, s: Side): { key: string; by: TensorMatchKind } | undefined => {
    if (!isOpaqueName(t.name)) return { key: normalizeName(t.name), by: 'normalized' };
    const c = consumerName(t, s);
    return c ? { key: c, by: 'consumer' } : undefined;
  };
  const keysB = new Map<string, Tensor | null>();
  const restB = () => B.tensors.filter((t) => !doneB.has(t));
  for (const b of restB()) {
    const k = nameOf(b, B)?.key;
    if (k) keysB.set(k, keysB.has(k) ? null : b);
  }
  for (const a of A.tensors) {
    if (doneA.has(a)) continue;
    const n = nameOf(a, A);
    if (!n) continue;
    let b = keysB.get(n.key);
    let via = n.by;
    if (b === undefined) {
      // A wrapper prefix on one side: the shorter name must be a whole-segment suffix of exactly one longer name.
      const hits = [...keysB].filter(([k, t]) => t && (k.endsWith(`.${n.key}`) || n.key.endsWith(`.${k}`)));
      if (hits.length === 1) b = hits[0][1];
    }
    if (b === null || b === undefined || doneB.has(b)) continue;
    if (nameOf(b, B)?.by === 'consumer') via = 'consumer';
    tryPair(a, b, via, n.key);
  }

  // 4. shape + order, only when what is left lines up completely.
  const leftA = A.tensors.filter((t) => !doneA.has(t));
  const leftB = restB();
  if (leftA.length && leftA.length === leftB.length) {
    const rels = leftA.map((a, i) => relation(a, layout(a, A), leftB[i], layout(leftB[i], B)));
    if (rels.every((r) => r !== undefined)) {
      leftA.forEach((a, i) => {
        doneA.add(a);
        doneB.add(leftB[i]);
        const r = rels[i]!;
        pairs.push({ a, b: leftB[i], by: 'shape-order', key: normalizeName(isOpaqueName(a.name) && !isOpaqueName(leftB[i].name) ? leftB[i].name : a.name), ...(r.length ? { perm: r } : {}) });
      });
    }
  }

  // Keep A's order so reports are stable.
  const order = new Map(A.tensors.map((t, i) => [t, i]));
  pairs.sort((x, y) => order.get(x.a)! - order.get(y.a)!);
  return {
    pairs,
    unmatched: { a: A.tensors.filter((t) => !doneA.has(t)).map((t) => t.name), b: B.tensors.filter((t) => !doneB.has(t)).map((t) => t.name) },
    mismatched,
  };
}
