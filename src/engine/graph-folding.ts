import type { Graph, Node } from '../model/graph';
import type { Tensor } from '../model/tensor';
import { decodeBytes, decodeValues } from '../stats/decode';

/**
 * What the Graph tab folds away by default on exporter output (torch.onnx): constants and weight Identities become
 * rows on their consumers, and subgraphs that only compute shapes (Shape → Gather → Unsqueeze → Concat → Reshape)
 * become a badge on the node they feed. The nodes stay in the payload, flagged, so the view can show them again.
 */

/** Input slots that take a shape, index list or axis list, not data (per op type). */
const SHAPE_SLOTS: Record<string, number[]> = {
  Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Range: [0, 1, 2], Slice: [1, 2, 3, 4], Resize: [1, 2, 3],
  Upsample: [1], Unsqueeze: [1], Squeeze: [1], Pad: [1, 2, 3], TopK: [1], OneHot: [1], Split: [1], CumSum: [1], Trilu: [1],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL2: [1], ReduceL1: [1],
  ReduceLogSumExp: [1], ReduceSumSquare: [1], GridSample: [], CenterCropPad: [1], Col2Im: [1, 2],
};

/** Values at most this long are shown on their row ("= [0, 2, 1, 3]"). */
export const SMALL_VALUE = 8;

export interface Folding {
  /** Node index -> folded (Constant, or Identity whose input is a weight). */
  fold: Uint8Array;
  /** Node index -> index of the node its shape computation feeds, -1 when not plumbing. */
  plumb: Int32Array;
  /** Value name -> the weight it stands for, when it is an Identity's output of a weight. */
  weightOf: Map<string, Tensor>;
}

const isConstant = (n: Node) => n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx');

export function analyseFolding(graph: Graph): Folding {
  const nodes = graph.nodes;
  const N = nodes.length;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  const graphOut = new Set(graph.outputs);
  const fold = new Uint8Array(N);
  const weightOf = new Map<string, Tensor>();
  nodes.forEach((n, i) => {
    if (n.outputs.some((o) => graphOut.has(o))) return;
    if (isConstant(n) && n.subgraphs.length === 0) fold[i] = 1;
    else if (n.opType === 'Identity' && n.inputs.length === 1) {
      const w = graph.values.get(n.inputs[0])?.initializer;
      if (w) {
        fold[i] = 1;
        weightOf.set(n.outputs[0], w);
      }
    }
  });
  // Uses of each node's outputs (consumer, input slot), as flat lists per producer: a 20k-node graph allocates little.
  const useStart = new Int32Array(N + 1);
  const inputProducer: number[][] = nodes.map((n) => n.inputs.map((v) => (v ? producer.get(v) ?? -1 : -1)));
  for (const ps of inputProducer) for (const p of ps) if (p >= 0) useStart[p + 1]++;
  for (let i = 0; i < N; i++) useStart[i + 1] += useStart[i];
  const fill = useStart.slice(0, N);
  const useNode = new Int32Array(useStart[N]);
  const useSlot = new Int32Array(useStart[N]);
  inputProducer.forEach((ps, c) => ps.forEach((p, slot) => {
    if (p < 0) return;
    useNode[fill[p]] = c;
    useSlot[fill[p]++] = slot;
  }));
  // Forward: does the node compute from shapes only (Shape/Size, constants, weights, other such nodes)?
  const fromShape = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const n = nodes[i];
    if (n.opType === 'Shape' || n.opType === 'Size') { fromShape[i] = 1; continue; }
    if (fold[i] || n.subgraphs.length) continue;
    let any = false, ok = true;
    for (let slot = 0; slot < n.inputs.length && ok; slot++) {
      const v = n.inputs[slot];
      if (!v) continue;
      const p = inputProducer[i][slot];
      if (p < 0) { if (!graph.values.get(v)?.initializer) ok = false; continue; }
      if (fromShape[p]) any = true;
      else if (!fold[p]) ok = false;
    }
    fromShape[i] = ok && any ? 1 : 0;
  }
  // Backward (consumers come later in a topologically sorted graph): are all its outputs' uses shape slots or plumbing?
  const plumbing = new Uint8Array(N);
  for (let i = N - 1; i >= 0; i--) {
    if (!fromShape[i] && !fold[i]) continue;
    if (useStart[i] === useStart[i + 1] || nodes[i].outputs.some((o) => graphOut.has(o))) continue;
    let ok = true;
    for (let u = useStart[i]; u < useStart[i + 1] && ok; u++) {
      const c = useNode[u];
      // A folded constant is plumbing only when every consumer is: it must vanish with them, not be left as an orphan.
      ok = plumbing[c] === 1 || (!fold[i] && !fold[c] && (SHAPE_SLOTS[nodes[c].opType]?.includes(useSlot[u]) ?? false));
    }
    plumbing[i] = ok ? 1 : 0;
  }
  // The node each plumbing node feeds: its first use that is not plumbing itself (or that use's own target).
  const plumb = new Int32Array(N).fill(-1);
  for (let i = N - 1; i >= 0; i--) {
    if (!plumbing[i]) continue;
    const c = useNode[useStart[i]];
    plumb[i] = plumbing[c] ? plumb[c] : c;
  }
  return { fold, plumb, weightOf };
}

/** The values of small tensors (≤ SMALL_VALUE elements) that fold into rows: Constant nodes' and weights'. */
export async function readSmallValues(graph: Graph): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const tensors: [string, Tensor][] = [];
  for (const n of graph.nodes) {
    if (!isConstant(n)) continue;
    const a = n.attributes[0];
    if (!a) continue;
    const v = a.value;
    if (v.type === 'tensor') tensors.push([n.outputs[0], v.value]);
    else if (v.type === 'float' || v.type === 'int') out.set(n.outputs[0], `= ${num(Number(v.value))}`);
    else if ((v.type === 'floats' || v.type === 'ints') && v.value.length <= SMALL_VALUE) out.set(n.outputs[0], `= [${v.value.map((x) => num(Number(x))).join(', ')}]`);
  }
  for (const t of graph.initializers) tensors.push([t.name, t]);
  for (const [name, t] of tensors) {
    if (t.elementCount > SMALL_VALUE || t.elementCount < 1 || t.quantization) continue;
    const text = await smallValue(t).catch(() => undefined);
    if (text !== undefined) out.set(name, t.shape.length === 0 ? `= ${text}` : `= [${text}]`);
  }
  return out;
}

async function smallValue(t: Tensor): Promise<string | undefined> {
  const out = new Float64Array(t.elementCount);
  if (t.values && !Array.isArray(t.values) && typeof (t.values as ArrayLike<unknown>)[0] !== 'string') {
    decodeValues(t.values as ArrayLike<number>, 0, out, t.elementCount);
  } else if (t.data) {
    const bytes = await t.data.read(0, t.data.byteLength);
    decodeBytes(t.dtype, bytes, out, t.elementCount, new Uint8Array(bytes.length));
  } else return undefined;
  return Array.from(out, num).join(', ');
}

const num = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));

/** "⟨768×3×16×16⟩" for a tensor's shape. */
export function shapeText(shape: readonly (number | string | null)[] | undefined): string {
  if (!shape) return '⟨?⟩';
  return `⟨${shape.map((d) => d ?? '?').join('×')}⟩`;
}

/** The row name for a weight or constant: the name's last segment, "const" for exporter-generated Constant outputs. */
export function rowName(value: string): string {
  const tail = value.slice(value.lastIndexOf('/') + 1).replace(/_output_\d+$/, '');
  if (/^Constant(_\d+)?$/.test(tail) || /::/.test(tail) || !tail) return /::/.test(tail) ? 'W' : 'const';
  const dot = tail.lastIndexOf('.');
  return dot >= 0 && dot < tail.length - 1 ? tail.slice(dot + 1) : tail;
}

/** Key attributes as one short line: kernel, stride, dilation, group, axis/axes, perm. No closures: runs per node. */
export function keyAttributes(n: Node): string {
  if (!n.attributes.length) return '';
  let k = '', st = '', d = '', g = '', axis = '', axes = '', perm = '';
  for (const a of n.attributes) {
    const v = a.value;
    const list = v.type === 'ints' ? v.value.map(Number) : v.type === 'int' ? [Number(v.value)] : undefined;
    if (!list) continue;
    switch (a.name) {
      case 'kernel_shape': k = `k${list.join('×')}`; break;
      case 'strides': if (list.some((x) => x !== 1)) st = `s${list.join('×')}`; break;
      case 'dilations': if (list.some((x) => x !== 1)) d = `d${list.join('×')}`; break;
      case 'group': if (list[0] > 1) g = `g${list[0]}`; break;
      case 'axis': axis = `axis=${list[0]}`; break;
      case 'axes': axes = `axes=${list.join(',')}`; break;
      case 'perm': perm = `perm=${list.join(',')}`; break;
    }
  }
  return [k, st, d, g, axis, axes, perm].filter(Boolean).join(' ');
}
