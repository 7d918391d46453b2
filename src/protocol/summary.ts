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
  /** The model file's size; `dataFiles` counts the files its weights are read from besides it (external data, shards). */
  fileBytes: number;
  dataFiles?: { count: number; bytes: number };
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
  /** The runtime that executes this model (chosen by its format), or null with the reason users see. */
  runs: { runtime: 'onnxruntime' | 'tfjs' | 'tfjs-node'; why?: undefined } | { runtime: null; why: string };
}

/** Why the Run and Explain tabs cannot run this model (its format has no runtime), or undefined when they can. */
export function cannotRun(s: Pick<ModelSummary, 'runs'>): string | undefined {
  return s.runs?.runtime === null ? s.runs.why : undefined;
}

/** "1.2 KB", or "1.2 KB + 3 data files (12 MB)": the model file and the files its weights are read from. */
export function fileSizeText(s: Pick<ModelSummary, 'fileBytes' | 'dataFiles'>, bytes: (n: number) => string): string {
  const d = s.dataFiles;
  return d ? `${bytes(s.fileBytes)} + ${d.count} data file${d.count === 1 ? '' : 's'} (${bytes(d.bytes)})` : bytes(s.fileBytes);
}
