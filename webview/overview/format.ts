// Human-readable numbers for the Overview and the side panel. Pure functions: unit-tested in Node.
import type { WireShape } from '../../src/protocol/summary';

// One count formatter for every view and the CLI; re-exported so the views keep importing their formatters here.
export { formatCount } from '../../src/protocol/summary';

/** [1,3,224,224] -> "[1, 3, 224, 224]"; [] -> "scalar"; null -> "unknown" (rank not known). */
export function formatShape(shape: WireShape): string {
  if (shape === null) return 'unknown';
  if (shape.length === 0) return 'scalar';
  return `[${shape.map(String).join(', ')}]`;
}

/** Op types, most frequent first, ties by name so the order is stable. */
export function sortedOpCounts(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
