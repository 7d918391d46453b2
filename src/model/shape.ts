/** A dimension: a number when static, a name when symbolic (e.g. "batch"), null when unknown. */
export type Dim = number | string | null;
/** undefined = rank unknown. */
export type Shape = Dim[] | undefined;

/** Element count of a fully static shape; undefined when any dim is not a known number. */
export function staticElementCount(shape: Shape): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

export function formatShape(shape: Shape): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}
