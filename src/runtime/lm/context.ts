import type { Model } from '../../model/graph';

/**
 * The longest sequence a tensor LM takes when it has a table per position: a 2-D initializer other than the token
 * embedding (its rows differ from the vocabulary) that a Gather looks positions up in or a Slice cuts to the
 * sequence's length (learned position embeddings, a precomputed causal mask). Rotary models computing their angles
 * have none: undefined, and the runtime's own error speaks for a too-long prompt.
 */
export function positionTableRows(model: Model, vocabSize: number | null): number | undefined {
  const g = model.graph;
  const tables = new Map(g.initializers.map((t) => [t.name, t.shape]));
  let rows: number | undefined;
  for (const n of g.nodes) {
    if ((n.opType !== 'Gather' && n.opType !== 'Slice') || !n.inputs[0]) continue;
    const shape = tables.get(n.inputs[0]);
    if (!shape || shape.length !== 2) continue;
    if (vocabSize !== null && shape[0] === vocabSize) continue;
    if (vocabSize === null && rows === undefined) {
      rows = shape[0]; // without a known vocabulary the smaller table is the positions'
      continue;
    }
    rows = rows === undefined ? shape[0] : Math.min(rows, shape[0]);
  }
  return rows;
}
