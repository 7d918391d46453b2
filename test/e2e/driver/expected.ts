// What the Overview must show for a model, computed from the project's own reader (openModel + summarize) in the
// test process, and tolerant parsing of the numbers the webview displays ("1,234", "690", "1.2 M").
import { statSync } from 'node:fs';
import type { ModelSummary } from '../../../src/protocol/summary';

export async function expectedSummary(path: string): Promise<ModelSummary> {
  // Loaded on first use so the harness's own checks (packaging, extension host) run even if a reader is broken.
  const { openModel } = await import('../../../src/formats/registry.js');
  const { summarize } = await import('../../../src/runtime/summary.js');
  const model = await openModel(path);
  try {
    // As the engine serves it: `runs` says what runs it on this machine, or why nothing can (a SavedModel without tfjs-node).
    return summarize(model, statSync(path).size);
  } finally {
    // Closes the file handles the reader opened (a .keras or .pt archive's): left to the garbage collector, Node
    // warns "Closing file descriptor … on garbage collection" in the middle of a later scenario.
    await model.dispose?.();
  }
}

const suffixes: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, B: 1e9 };

/** Numbers in displayed text, with "1.2 M"-style suffixes expanded; `exact` is false for suffixed (rounded) ones. */
export function displayedNumbers(text: string): { value: number; exact: boolean }[] {
  const out: { value: number; exact: boolean }[] = [];
  for (const m of text.matchAll(/(\d[\d,\u202f\u00a0 ]*(?:\.\d+)?)\s?([kKMGB])?(?![\w])/g)) {
    const digits = m[1].replace(/[,\u202f\u00a0 ]/g, '');
    const n = Number(digits);
    if (!Number.isFinite(n)) continue;
    const mul = m[2] ? suffixes[m[2]] : 1;
    out.push({ value: n * mul, exact: mul === 1 });
  }
  return out;
}

/** True when `text` shows `expected` exactly, or rounded to the shown precision when it uses a k/M/G suffix. */
export function showsCount(text: string, expected: number): boolean {
  return displayedNumbers(text).some(({ value, exact }) => (exact ? value === expected : Math.abs(value - expected) <= 0.05 * expected));
}

/** Nodes and weight tensors as the project's reader sees them: main-graph op count (what the Graph tab's status
 *  counts) and initializers of all graphs (the Weights tab's rows). */
export async function expectedCounts(path: string): Promise<{ mainNodes: number; weights: number }> {
  const { openModel } = await import('../../../src/formats/registry.js');
  const { allWeights } = await import('../../../src/model/walk.js');
  const model = await openModel(path);
  try {
    return { mainNodes: model.graph.nodes.length, weights: allWeights(model).length };
  } finally {
    await model.dispose?.();
  }
}
