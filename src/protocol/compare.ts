import type { InputUsed, WireNodeOverlay } from './run';
import type { Check } from './validate';
import { bool, obj, optional } from './validate';

// The compare result's wire types (the CLI's `--json` and the Compare view), shared by src/compare and the views.

export type NodeMatchKind = 'name' | 'weights' | 'scope' | 'structure';

export type TensorMatchKind = 'name' | 'normalized' | 'consumer' | 'shape-order';

export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface ScopeChange {
  scope: string;
  tensors: number;
  /** Tensors with any difference. */
  changed: number;
  relChange: number | null;
  maxAbsDiff: number;
}

export interface Divergence {
  /** A's node (display name) and ids on both sides. */
  node: string;
  nodeId: string;
  nodeIdB: string;
  /** A's value (the node output) that diverged. */
  value: string;
  relError: number;
  tolerance: number;
}

export interface CompareJson {
  nodes: { added: string[]; removed: string[]; changed: { a: string; b: string; what: string[] }[]; matched: number; matchedBy: Record<NodeMatchKind, number> };
  tensors: {
    name: string; b?: string; relChange: number | null; cosine: number | null; maxAbsDiff: number | null;
    matchedBy: TensorMatchKind; transposed?: number[]; shape: number[]; dtype: string; dtypeB?: string; count: number;
    nonFinite: number; histogram?: Histogram; problem?: string;
  }[];
  scopes: ScopeChange[];
  unmatched: { a: string[]; b: string[] };
  mismatched: { a: string; b: string; reason: string }[];
  relChange: number | null;
  outputs?: { name: string; b?: string; maxAbsDiff: number | null; cosine: number | null; topkAgreement: number | null; relError: number | null; shape: number[]; k?: number; top1Agreement?: number; layout?: string; problem?: string }[];
  divergence?: Divergence | null;
  divergenceSkipped?: string;
  /** Why outputs were not compared although asked for (the models take different inputs). */
  outputsSkipped?: string;
  tolerance?: number;
  inputs?: InputUsed[];
  a: { path: string; format: string };
  b: { path: string; format: string };
}


/**
 * Compare: the panel's model (A) against another model file (B) that the host picked (a file dialog, or the
 * Explorer's second selection). The webview never names a path: it asks the host, which asks the engine.
 */

/** What the Compare tab shows: B's file name, the CLI's `compare --json` object, and A's graph overlay. */
export interface CompareView {
  other: string;
  json: CompareJson;
  overlay: WireNodeOverlay;
}

export interface CompareRequest {
  /** Ask for another file even when one was chosen before. */
  pick?: boolean;
  /** Run both models on the same synthesized input (needs a trusted workspace). */
  outputs?: boolean;
}

export type CompareWebviewMethods = {
  /** null when the user cancelled the file pick. */
  compareWith: { params: CompareRequest; result: CompareView | null };
};

export const compareWebviewValidators: { [K in keyof CompareWebviewMethods]: Check } = {
  compareWith: obj({ pick: optional(bool), outputs: optional(bool) }),
};

export type CompareEngineMethods = {
  compare: { params: { modelId: string; other: string; outputs: boolean }; result: CompareView };
};
