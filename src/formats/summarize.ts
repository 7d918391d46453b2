import type { Model, Value } from '../model/graph';
import { isParameter, tensorRole } from '../model/tensor';
import { allGraphs, allWeights, opTypeCounts } from '../model/walk';
import type { ModelSummary, OtherTensors, ValueInfo, WireShape } from '../protocol/summary';
import { formatOf, openedFileBytes } from './registry';

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

/**
 * Parameters are the weights and buffers a forward pass reads; a checkpoint's optimizer state, counters and the
 * graph's shape constants are counted apart (`otherTensors`, absent when there are none).
 */
function parameters(model: Model): Pick<ModelSummary, 'weightCount' | 'parameterCount' | 'parameterBytes' | 'otherTensors'> {
  let weightCount = 0;
  let parameterCount = 0;
  let parameterBytes = 0;
  const other: OtherTensors = {};
  for (const t of allWeights(model)) {
    const bytes = t.data?.byteLength ?? 0;
    if (isParameter(t)) {
      weightCount++;
      parameterCount += t.elementCount;
      parameterBytes += bytes;
      continue;
    }
    const o = (other[tensorRole(t) as keyof OtherTensors] ??= { count: 0, elements: 0, bytes: 0 });
    o.count++;
    o.elements += t.elementCount;
    o.bytes += bytes;
  }
  return { weightCount, parameterCount, parameterBytes, ...(Object.keys(other).length ? { otherTensors: other } : {}) };
}

/** The descriptor's name is the one place a format's display name is written; the webview reads it from the summary. */
function formatName(model: Model): string {
  const d = formatOf(model);
  return d.formats.length > 1 ? `${d.name} (${model.format.replace(`${d.id}-`, '')})` : d.name;
}

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
    formatName: formatName(model),
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
    ...parameters(model),
    opTypeCounts: opTypeCounts(model.graph),
    warnings: model.warnings,
  };
}
