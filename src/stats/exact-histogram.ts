import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { HistogramRequest, WireHistogram } from '../protocol/stats';
import { linearEdges } from './fine-histogram';
import { ScanBuffers, scanProblem, scanTensor } from './scan';
import { weightContexts, type WeightContext } from './weight-context';

/** Bins v by comparing with the edges (the index guess from the bin width is corrected at the edges). */
export function binInto(counts: Float64Array, edges: number[], a: Float32Array | Float64Array, len: number): void {
  const bins = counts.length;
  const lo = edges[0];
  const hi = edges[bins];
  const scale = hi > lo ? bins / (hi - lo) : 0;
  for (let i = 0; i < len; i++) {
    const v = a[i];
    if (!(v >= lo && v <= hi)) continue; // NaN, Inf and (never, for shared ranges) out-of-range
    let k = Math.floor((v - lo) * scale);
    if (k >= bins) k = bins - 1;
    if (k > 0 && v < edges[k]) k--;
    else if (k < bins - 1 && v >= edges[k + 1]) k++;
    counts[k]++;
  }
}

/**
 * Exact histograms of a few tensors on one set of edges, so that they can be overlaid: a min/max pass, then a
 * binning pass. Real values unless `raw` asks for the stored integers of quantized tensors.
 */
export async function exactHistograms(model: Model, req: HistogramRequest, signal?: AbortSignal): Promise<{ name: string; histogram: WireHistogram }[]> {
  const contexts = new Map<string, WeightContext>();
  for (const c of await weightContexts(model)) contexts.set(c.tensor.name, c);
  const chosen = req.tensors.map((name) => {
    const c = contexts.get(name);
    if (!c) throw new ModelError(model.path, `no weight named "${name.slice(0, 200)}"`);
    const problem = scanProblem(c.tensor);
    if (problem) throw new ModelError(model.path, `${name.slice(0, 200)}: ${problem}`);
    return c;
  });
  const buf = new ScanBuffers();
  const opts = (c: WeightContext) => ({ quantization: c.quantization, raw: req.raw, signal });
  let min = Infinity;
  let max = -Infinity;
  for (const c of chosen) {
    await scanTensor(c.tensor, buf, (a, _u, len) => {
      for (let i = 0; i < len; i++) {
        const v = a[i];
        if (v < min && v > -Infinity) min = v;
        if (v > max && v < Infinity) max = v;
      }
    }, opts(c));
  }
  if (min > max) return chosen.map((c) => ({ name: c.tensor.name, histogram: { edges: [], counts: [], exact: true, raw: req.raw } }));
  let lo = min;
  let hi = max;
  if (req.symmetric) {
    hi = Math.max(Math.abs(min), Math.abs(max));
    lo = -hi;
  }
  const bins = lo === hi ? 1 : req.bins;
  const edges = linearEdges(lo, hi, bins);
  const out: { name: string; histogram: WireHistogram }[] = [];
  for (const c of chosen) {
    const counts = new Float64Array(bins);
    await scanTensor(c.tensor, buf, (a, _u, len) => binInto(counts, edges, a, len), opts(c));
    out.push({ name: c.tensor.name, histogram: { edges, counts: Array.from(counts), exact: true, ...(req.raw ? { raw: true } : {}) } });
  }
  return out;
}
