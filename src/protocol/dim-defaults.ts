// The guess for a symbolic dimension's value, shared by the runtime (what it feeds when the user gave none) and the
// Run tab (what it pre-fills for the user to confirm), so both always show the same default.

const BATCH = /^(n|b|bs|batch.*|.*_batch|unk__\d+|batch_size|num_samples)$/i;
const SEQ = /(seq|len|token|time|step|position|past)/i;
const SPATIAL = /^(h|w|height|width|img.*|image.*|size)$/i;

const isFloat = (dtype: string) => dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16' || dtype.startsWith('float8');

/**
 * Default for the unknown dimension at `axis` of an input (`shape` as the file declares it: numbers for static dims):
 * batch-like or first axis → 1, sequence-like → 16, spatial → 224 (also unnamed H/W of an image-like input), else 1.
 */
export function defaultDimValue(name: string | null | undefined, axis: number, input: { dtype: string; shape: readonly unknown[] }): number {
  const named = typeof name === 'string' && name !== '' && name !== '?' ? name : undefined;
  if (axis === 0 || (named && BATCH.test(named))) return 1;
  if (named && SEQ.test(named)) return 16;
  if (named && SPATIAL.test(named)) return 224;
  const shape = input.shape;
  const float = isFloat(input.dtype);
  if (shape.length === 4 && float && (axis === 2 || axis === 3) && (shape[1] === 3 || shape[1] === 1)) return 224;
  if (shape.length === 4 && float && (axis === 1 || axis === 2) && (shape[3] === 3 || shape[3] === 1)) return 224;
  if (input.dtype.startsWith('int') && shape.length === 2 && axis === 1) return 16;
  return 1;
}
