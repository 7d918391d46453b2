import type { DType } from '../model/dtype';
import type { WireShape } from './summary';
import type { Severity } from './stats';

/**
 * The side panel's plain-words view of the selected node, composed by the host (src/host/node-explanation.ts)
 * from the engine's node details, our operator sentences and the cached weight health. The description travels
 * in the message so the webview needs no operator table of its own.
 */

export interface ExplainedTensor {
  name: string;
  dtype?: DType;
  shape?: WireShape;
}

/** 'ok' when the health pass found nothing; absent while it has not run (or could not run) for this model. */
export type WeightHealth = 'ok' | { severity: Severity; message: string };

export interface ExplainedWeight extends ExplainedTensor {
  /** Elements. */
  count: number;
  health?: WeightHealth;
}

export interface NodeExplanation {
  nodeId: string;
  /** Subgraph id ('' or absent: the main graph). */
  graph?: string;
  opType: string;
  domain: string;
  name: string;
  /** Our one or two sentences, or a plain fallback naming the operator. */
  description: string;
  /** "name = value" lines, at most MAX_EXPLAINED_ATTRIBUTES; `attributesOmitted` counts the rest. */
  attributes: string[];
  attributesOmitted?: number;
  inputs: ExplainedTensor[];
  outputs: ExplainedTensor[];
  /** Elements of the weights this node reads directly. */
  parameterCount: number;
  weights: ExplainedWeight[];
  /** Why weight health is missing (e.g. the stats pass failed); absent when it is shown or still to come. */
  healthNote?: string;
}

export const MAX_EXPLAINED_ATTRIBUTES = 12;
