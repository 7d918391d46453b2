// Human-readable numbers for the Overview and the side panel. Pure functions: unit-tested in Node.
import type { WireShape } from '../../src/protocol/summary';
import type { ModelFormat } from '../../src/model/graph';

const units = ['', ' K', ' M', ' B', ' T'];

/** 950 -> "950", 1234 -> "1.2 K", 1_234_567 -> "1.2 M"; three significant digits at most. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let i = 0;
  let v = Math.abs(n);
  while (v >= 999.95 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 ? 0 : v < 10 ? 1 : v < 100 ? 1 : 0;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)}${units[i]}`;
}

/** [1,3,224,224] -> "[1, 3, 224, 224]"; [] -> "scalar"; null -> "unknown" (rank not known). */
export function formatShape(shape: WireShape): string {
  if (shape === null) return 'unknown';
  if (shape.length === 0) return 'scalar';
  return `[${shape.map(String).join(', ')}]`;
}

const formatNames: Record<ModelFormat, string> = {
  onnx: 'ONNX',
  'tfjs-layers': 'TF.js (layers)',
  'tfjs-graph': 'TF.js (graph)',
  keras: 'Keras',
  tflite: 'TensorFlow Lite',
  safetensors: 'SafeTensors',
  gguf: 'GGUF',
  pytorch: 'PyTorch',
  savedmodel: 'TF SavedModel',
};

export function formatName(format: ModelFormat): string {
  return formatNames[format] ?? format;
}

/** Op types, most frequent first, ties by name so the order is stable. */
export function sortedOpCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
