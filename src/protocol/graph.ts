import type { DType } from '../model/dtype';
import type { WireShape } from './summary';
import type { Check } from './validate';
import { obj, optional, str } from './validate';

/**
 * Graph feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes.
 *
 * The graph travels in a compact, table-based form (op types and scopes are interned, edges are index triples) so a
 * 20k-node model is a few MB of JSON; per-node details (attributes, weights) are fetched only for the selected node.
 */

/** '' is the main graph; a subgraph is `<nodeId>:<index into node.subgraphs>` (node ids are unique per model). */
export type GraphId = string;

export type GraphNodeKind = 'op' | 'input' | 'output';

export interface GraphNodeRow {
  id: string;
  kind: GraphNodeKind;
  /** Index into GraphPayload.ops (op type; 'Input' / 'Output' for the pseudo-nodes). */
  op: number;
  /** Short display name: the node name's last path segment (or the value name for inputs/outputs). */
  name: string;
  /** Index into GraphPayload.scopes. */
  scope: number;
  /** Weights consumed directly (shown as a badge on the node, never as boxes). */
  weights?: number;
  /** Total elements of those weights. */
  params?: number;
  /** Number of control-flow bodies (If/Loop/Scan); each opens as graph `<id>:<i>`. */
  subgraphs?: number;
  /** Input pseudo-node for a value captured from the enclosing graph (subgraph bodies only). */
  outer?: boolean;
  /** Indices into GraphPayload.values of the tensors this node reads and writes (weights included): search by tensor name. */
  io: number[];
  /** A `Constant` node or an `Identity` of a weight: drawn, by default, only as a row on each of its consumers. */
  fold?: 1;
  /** Shape plumbing (computes only shape inputs from Shape/Size): index of the node it feeds, where it is a badge. */
  plumb?: number;
  /** Rows on this node's box: its weights and the folded constants it reads (at most MAX_CONST_ROWS). */
  rows?: GraphConstRow[];
  /** Shape plumbing folded into this node: how many ops, and the values whose shape they read. */
  shapeFrom?: { ops: number; from: string[] };
  /** Key attributes on one short line: "k3×3 s2", "axis=1", "perm=0,2,1,3". */
  attrs?: string;
}

export interface GraphConstRow {
  /** Short name: the weight's last name segment, "const" for an anonymous Constant. */
  name: string;
  /** "⟨768×3×16×16⟩", or the value when it is small: "= 0.5", "= [0, 2, 1, 3]". */
  text: string;
  /** Index of the folded Constant/Identity node this row stands for (absent for a weight read directly). */
  node?: number;
}

/** Rows beyond this are summarised as "+N more". */
export const MAX_CONST_ROWS = 4;

export interface GraphValueRow {
  name: string;
  dtype?: DType;
  shape?: WireShape;
}

export interface GraphPayload {
  graph: GraphId;
  name: string;
  /** Breadcrumb from the main graph down to this one, e.g. ["main", "If_0 then_branch"]. */
  path: string[];
  ops: string[];
  /** Scope paths; index 0 is the root ''. Every prefix of a scope is present too. */
  scopes: string[];
  /** Per scope: repeated-block hint (same structure -> same number), -1 when the structure is unique. */
  scopeHints: number[];
  nodes: GraphNodeRow[];
  values: GraphValueRow[];
  /** [from node index, to node index, value index]. */
  edges: [number, number, number][];
}

export interface GraphTensorInfo {
  name: string;
  dtype?: DType;
  shape?: WireShape;
  /** Present when the value is a weight, or an Identity of one (then `tensor` names the weight itself). */
  weight?: { elementCount: number; location: string; tensor?: string };
}

export interface GraphNodeDetails {
  id: string;
  opType: string;
  domain: string;
  name: string;
  scope: string;
  doc?: string;
  /** Readable attribute values (long lists and tensors summarised). */
  attributes: { name: string; type: string; value: string }[];
  inputs: GraphTensorInfo[];
  outputs: GraphTensorInfo[];
  subgraphs: { graph: GraphId; attribute: string; name: string; nodeCount: number }[];
}

/** One weight of a model without a graph (SafeTensors, GGUF, PyTorch state dicts): the Graph tab's tensor tree. */
export interface TensorListRow {
  name: string;
  dtype: DType;
  shape: number[];
  elements: number;
}

/** At most this many rows cross the channel; `total` says how many there were. */
export const MAX_TENSOR_LIST = 20_000;

/** Shapes of the main graph's values from one sample run, for edges whose shape the file does not declare. */
export interface GraphShapesResult {
  /** value name -> [dtype, shape]. */
  shapes: Record<string, [string, number[]]>;
  /** Symbolic input dims and the sizes the run used, e.g. { batch: 1, seq: 16 }; input name -> shape when a dim has no name. */
  dims: Record<string, number>;
  provider: string;
  /** Values asked for that did not come back (non-tensor outputs). */
  missing: number;
}

/** At most this many values without a declared shape are run for (in batches of MAX_ACTIVATION_VALUES); the rest stay unlabelled. */
export const MAX_SHAPE_VALUES = 4096;

export type GraphMethods = {
  getGraph: { params: { graph?: GraphId }; result: GraphPayload };
  getGraphShapes: { params: Record<string, never>; result: GraphShapesResult };
  getTensorList: { params: Record<string, never>; result: { tensors: TensorListRow[]; total: number } };
  getNodeDetails: { params: { graph?: GraphId; nodeId: string }; result: GraphNodeDetails };
};

/** Graph methods that execute the model (not view-only: Restricted Mode refuses them). */
export const GRAPH_METHODS_THAT_RUN: ReadonlySet<string> = new Set(['getGraphShapes']);

export const graphValidators: { [K in keyof GraphMethods]: Check } = {
  getGraph: obj({ graph: optional(str(2000)) }),
  getGraphShapes: obj({}),
  getTensorList: obj({}),
  getNodeDetails: obj({ graph: optional(str(2000)), nodeId: str(2000) }),
};
