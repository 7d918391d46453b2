import type { DType } from '../model/dtype';
import type { ModelFormat } from '../model/graph';

/** JSON-safe shape: numbers for static dims, names for symbolic ones, '?' when unknown; null when rank is unknown. */
export type WireShape = (number | string)[] | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: WireShape;
}

/** What the Overview shows and `model-inspector inspect --json` prints (a superset of the CLI contract). */
export interface ModelSummary {
  file: string;
  path: string;
  fileBytes: number;
  format: ModelFormat;
  producer?: { name: string; version: string };
  irVersion?: number;
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Nodes of the main graph. */
  nodeCount: number;
  /** Nodes of every graph including subgraphs and function bodies. */
  totalNodeCount: number;
  subgraphCount: number;
  functionCount: number;
  weightCount: number;
  parameterCount: number;
  parameterBytes: number;
  opTypeCounts: Record<string, number>;
  warnings: string[];
}
