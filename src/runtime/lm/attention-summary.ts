import type { HeadSummary } from '../../protocol/attention';

/**
 * Numbers that say what one attention head does, from its map A[i][j] (query i, key j; each row sums to 1) and the
 * prompt's ids. Averages are over query rows; rows that cannot show a behaviour are left out of its average.
 */
export function summarizeHead(a: Float32Array, t: number, tk: number, ids: readonly number[], piece?: (id: number) => string): HeadSummary {
  let entropy = 0;
  let first = 0;
  let prev = 0;
  let self = 0;
  let induction = 0;
  let inductionRows = 0;
  // token id → positions seen so far, for the induction pattern
  const seen = new Map<number, number[]>();
  for (let i = 0; i < t; i++) {
    const row = a.subarray(i * tk, (i + 1) * tk);
    // entropy: −Σ_j A_ij ln A_ij (nats), averaged over all rows: 0 = one key, ln(Tk) = uniform
    let h = 0;
    for (let j = 0; j < tk; j++) if (row[j] > 0) h -= row[j] * Math.log(row[j]);
    entropy += h;
    // firstToken: A_i0 over rows i ≥ 1 (row 0 of a causal map has nowhere else to look)
    if (i >= 1) first += row[0];
    // prevToken: A_i,i−1 over rows i ≥ 1
    if (i >= 1 && i - 1 < tk) prev += row[i - 1];
    if (i < tk) self += row[i];
    // induction: at a token seen before at k (k ≤ i−2), the weight on the tokens that followed those earlier
    // occurrences (j = k+1), over the rows that have such an earlier occurrence: "A B … A → B"
    const before = seen.get(ids[i]);
    if (before) {
      let w = 0;
      let any = false;
      for (const k of before) {
        if (k <= i - 2 && k + 1 < tk) {
          w += row[k + 1];
          any = true;
        }
      }
      if (any) {
        induction += w;
        inductionRows++;
      }
    }
    const list = seen.get(ids[i]);
    if (list) list.push(i);
    else seen.set(ids[i], [i]);
  }
  const rows1 = Math.max(1, t - 1);
  // peak: where the last query position (the one that predicts the next token) looks most
  const last = a.subarray((t - 1) * tk, t * tk);
  let peak = 0;
  for (let j = 1; j < tk; j++) if (last[j] > last[peak]) peak = j;
  const s: HeadSummary = {
    entropy: entropy / t,
    firstToken: t > 1 ? first / rows1 : a[0],
    prevToken: t > 1 ? prev / rows1 : 0,
    induction: inductionRows ? induction / inductionRows : 0,
    self: self / t,
    peak: { position: peak, weight: last[peak] },
    role: '',
  };
  s.role = describeHead(s, t, inductionRows > 0, piece && peak < ids.length ? piece(ids[peak]) : undefined);
  return s;
}

/**
 * One sentence for what a head mostly does, from the largest of its pattern scores (each in [0, 1]); a head that
 * none describes well spreads its attention (entropy near uniform) or looks at content.
 */
export function describeHead(s: HeadSummary, t: number, canInduct: boolean, peakText?: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const scored: [number, string][] = [
    [s.firstToken, `attends to the first token (an attention sink): ${pct(s.firstToken)} of its weight`],
    [s.prevToken, `a previous-token head: ${pct(s.prevToken)} of its weight on the token just before`],
    [s.self, `attends to its own position: ${pct(s.self)} of its weight`],
  ];
  if (canInduct) scored.push([s.induction, `an induction head: ${pct(s.induction)} of its weight on the token that followed an earlier occurrence of the current one`]);
  scored.sort((x, y) => y[0] - x[0]);
  if (scored[0][0] >= 0.4) return scored[0][1];
  // mean row entropy against a uniform row's (rows grow in a causal map; ln(t) bounds them all)
  const uniform = Math.log(Math.max(2, t));
  if (s.entropy > 0.8 * uniform) return `spreads its attention broadly (entropy ${s.entropy.toFixed(2)} of at most ${uniform.toFixed(2)} nats)`;
  return `looks at content: from the last token it looks most at position ${s.peak.position}${peakText === undefined ? '' : ` (${JSON.stringify(peakText)})`} with ${pct(s.peak.weight)} of its weight`;
}

export const THUMB = 32;

/**
 * A head's map shrunk to at most THUMB×THUMB bytes: each cell the largest weight of its block (so a sharp diagonal
 * stays visible), scaled to the head's own maximum.
 */
export function thumbnail(a: Float32Array, t: number, tk: number, out: Uint8Array, rows: number, cols: number): void {
  const cells = new Float32Array(rows * cols);
  const colCell = new Int32Array(tk);
  for (let j = 0; j < tk; j++) colCell[j] = Math.floor((j * cols) / tk);
  let max = 0;
  for (let i = 0; i < t; i++) {
    const base = Math.floor((i * rows) / t) * cols;
    const row = a.subarray(i * tk, (i + 1) * tk);
    for (let j = 0; j < tk; j++) {
      const v = row[j];
      const k = base + colCell[j];
      if (v > cells[k]) cells[k] = v;
      if (v > max) max = v;
    }
  }
  for (let k = 0; k < cells.length; k++) out[k] = max > 0 ? Math.round((cells[k] / max) * 255) : 0;
}

/** Thumbnail size for a T×Tk map: at most THUMB on each side, never more cells than the map has. */
export function thumbSize(t: number, tk: number): [number, number] {
  return [Math.min(THUMB, t), Math.min(THUMB, tk)];
}
