import { ModelError } from '../model/errors';
import type { Dim } from '../model/shape';
import type { NdArray, NdData } from '../formats/arrays/ndarray';
import { allocData } from '../formats/arrays/ndarray';

const fits = (shape: readonly number[], want: readonly Dim[]) =>
  shape.length === want.length && want.every((d, i) => typeof d !== 'number' || d === shape[i]);

const text = (s: readonly (Dim | number)[]) => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

/** Rank-4 array with axes reordered: out axis k takes in axis perm[k]. */
function transpose4(a: NdArray, perm: readonly number[]): NdArray {
  const shape = perm.map((p) => a.shape[p]);
  const out = (Array.isArray(a.data) ? new Array<string>(a.data.length) : allocData(a.dtype, a.data.length)) as NdData;
  const inStride = [a.shape[1] * a.shape[2] * a.shape[3], a.shape[2] * a.shape[3], a.shape[3], 1];
  const s = perm.map((p) => inStride[p]);
  let o = 0;
  for (let i0 = 0; i0 < shape[0]; i0++)
    for (let i1 = 0; i1 < shape[1]; i1++)
      for (let i2 = 0; i2 < shape[2]; i2++)
        for (let i3 = 0; i3 < shape[3]; i3++) (out as unknown as unknown[])[o++] = (a.data as unknown as unknown[])[i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]];
  return { dtype: a.dtype, shape, data: out };
}

/** The two layouts an image array is saved in; NCHW is PyTorch's and ONNX's, NHWC TensorFlow's and Keras's. */
const LAYOUTS = [
  { from: 'NCHW', to: 'NHWC', perm: [0, 2, 3, 1] },
  { from: 'NHWC', to: 'NCHW', perm: [0, 3, 1, 2] },
] as const;

/**
 * Checks an array from a file against the model input it feeds. A rank-4 array in the other image layout (NCHW for an
 * NHWC model, or the reverse) is transposed when exactly one layout fits, and the `note` says so; anything else that
 * does not fit is refused here, naming the file, rather than by the runtime's own words.
 */
export function fitArrayToInput(a: NdArray, want: readonly Dim[] | undefined, input: string, file: string): { array: NdArray; note?: string } {
  if (!want || fits(a.shape, want)) return { array: a };
  if (a.shape.length === 4 && want.length === 4) {
    const fitting = LAYOUTS.filter((l) => fits(l.perm.map((p) => a.shape[p]), want));
    if (fitting.length === 1) {
      const l = fitting[0];
      const array = transpose4(a, l.perm);
      return { array, note: `input "${input}": ${file} holds ${text(a.shape)} (${l.from}); laid out as ${text(array.shape)} (${l.to}), the model's layout` };
    }
  }
  throw new ModelError(file, `has shape ${text(a.shape)}, but model input "${input}" wants ${text(want)}`);
}
