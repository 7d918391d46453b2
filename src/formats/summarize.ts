import type { Model, Value } from '../model/graph';
import { allGraphs, allWeights, opTypeCounts, parameterBytes, parameterCount } from '../model/walk';
import type { ModelSummary, ValueInfo, WireShape } from '../protocol/summary';
import { openedFileBytes } from './registry';

export function toWireShape(shape: Value['shape']): WireShape {
  if (!shape) return null;
  return shape.map((d) => (d === null ? '?' : d));
}

function valueInfo(model: Model, name: string): ValueInfo {
  const v = model.graph.values.get(name);
  return { name, dtype: v?.dtype ?? 'unknown', shape: toWireShape(v?.shape) };
}

/** What the file says, for the Overview and `inspect --json`; whether and how it runs is the runtime's part (runtime/summary.ts). */
export type FileSummary = Omit<ModelSummary, 'runs' | 'lm'>;

/** `fileBytes` defaults to the size of the file `openModel` read (the marker file of a folder format). */
export function summarizeFile(model: Model, fileBytes = openedFileBytes(model) ?? 0): FileSummary {
  let total = 0;
  let graphs = 0;
  for (const g of allGraphs(model)) {
    total += g.nodes.length;
    graphs++;
  }
  const file = model.path.split(/[\\/]/).pop() ?? model.path;
  return {
    file,
    path: model.path,
    fileBytes,
    ...(model.dataFiles?.length ? { dataFiles: { count: model.dataFiles.length, bytes: model.dataFiles.reduce((a, f) => a + f.bytes, 0) } } : {}),
    format: model.format,
    producer: model.producer,
    irVersion: model.irVersion,
    opsets: model.opsets,
    metadata: model.metadata,
    inputs: model.graph.inputs.map((n) => valueInfo(model, n)),
    outputs: model.graph.outputs.map((n) => valueInfo(model, n)),
    nodeCount: model.graph.nodes.length,
    totalNodeCount: total,
    subgraphCount: graphs - 1 - model.functions.length,
    functionCount: model.functions.length,
    weightCount: allWeights(model).length,
    parameterCount: parameterCount(model),
    parameterBytes: parameterBytes(model),
    opTypeCounts: opTypeCounts(model.graph),
    warnings: model.warnings,
  };
}
