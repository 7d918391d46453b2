import type { ProgressPayload } from '../../src/protocol/wire';

/** A long job's progress as one status line: "loading model (40%)". */
export function progressText(p: ProgressPayload): string {
  return `${p.message ?? ''}${p.fraction !== undefined ? ` (${Math.round(p.fraction * 100)}%)` : ''}`;
}
