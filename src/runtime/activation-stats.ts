import type { NdArray } from '../formats/arrays/ndarray';
import { numberAt } from '../formats/arrays/ndarray';
import type { ActivationSummary, OverlayMeasure } from '../protocol/run';
import { Accumulator } from '../stats/accumulator';
import { binInto } from '../stats/exact-histogram';
import { linearEdges } from '../stats/fine-histogram';

// Reduces a whole activation tensor (already in memory) to what crosses the wire: the stats pass is the weight stats'
// Accumulator, the histogram the exact binning of the Weights tab, so activations and weights read alike.

const acc = new Accumulator();

/** The values as float32 (with their bit view, for the Accumulator's fast kernel) or float64. */
function asFloats(a: NdArray): { f: Float32Array | Float64Array; u: Uint32Array | undefined } | undefined {
  if (Array.isArray(a.data)) return undefined; // strings
  if (a.data instanceof Float32Array) return { f: a.data, u: new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length) };
  if (a.data instanceof Float64Array) return { f: a.data, u: undefined };
  const f = new Float64Array(a.data.length);
  for (let i = 0; i < f.length; i++) f[i] = numberAt(a, i); // float16 bits, ints, bigints, bools
  return { f, u: undefined };
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Stats and a `bins`-bin histogram on [min, max] over the finite elements; undefined for non-numeric values. */
export function summarizeActivation(name: string, a: NdArray, bins: number, nodeId?: string): ActivationSummary | undefined {
  const v = asFloats(a);
  if (!v) return undefined;
  acc.reset();
  acc.add(v.f, v.u, v.f.length);
  let absSum = 0;
  for (let i = 0; i < v.f.length; i++) {
    const x = v.f[i];
    if (Number.isFinite(x)) absSum += Math.abs(x);
  }
  const finite = acc.n > 0;
  const edges = finite ? linearEdges(acc.min, acc.max, acc.min === acc.max ? 1 : bins) : [];
  const counts = new Float64Array(Math.max(0, edges.length - 1));
  if (finite) binInto(counts, edges, v.f, v.f.length);
  return {
    name,
    ...(nodeId !== undefined ? { nodeId } : {}),
    dtype: a.dtype,
    shape: a.shape,
    count: v.f.length,
    mean: finite ? orNull(acc.mean) : null,
    std: finite ? orNull(Math.sqrt(acc.variance)) : null,
    min: finite ? acc.min : null,
    max: finite ? acc.max : null,
    meanAbs: finite ? absSum / acc.n : null,
    zeros: acc.zeros,
    nan: acc.nan,
    inf: acc.inf,
    histogram: { edges, counts: Array.from(counts) },
  };
}

/** One number per tensor for the graph overlay: mean |x| or std over finite elements; undefined when there is none. */
export function reduceActivation(a: NdArray, measure: OverlayMeasure): number | undefined {
  const v = asFloats(a);
  if (!v || v.f.length === 0) return undefined;
  if (measure === 'meanAbs') {
    let s = 0;
    let n = 0;
    for (let i = 0; i < v.f.length; i++) {
      const x = v.f[i];
      if (Number.isFinite(x)) {
        s += Math.abs(x);
        n++;
      }
    }
    return n ? s / n : undefined;
  }
  acc.reset();
  acc.add(v.f, v.u, v.f.length);
  return acc.n ? Math.sqrt(acc.variance) : undefined;
}
