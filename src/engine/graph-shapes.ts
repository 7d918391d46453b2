import type { Model } from '../model/graph';
import { MAX_ACTIVATION_VALUES } from '../protocol/run';
import type { GraphShapesResult } from '../protocol/graph';
import { MAX_SHAPE_VALUES } from '../protocol/graph';
import type { ActivationContext } from '../runtime/activations';
import { computeActivations } from '../runtime/activations';

/**
 * Shapes for the Graph tab's edge labels where the file declares none (torch.onnx writes no value_info): one
 * sample run with synthesized inputs through the activations machinery, which returns each value's shape. The
 * values go in batches of MAX_ACTIVATION_VALUES, the most one activations call takes.
 */
export async function runGraphShapes(model: Model, c: ActivationContext): Promise<GraphShapesResult> {
  const g = model.graph;
  const wanted: string[] = [];
  for (const n of g.nodes) {
    for (const o of n.outputs) {
      const v = o ? g.values.get(o) : undefined;
      if (!v || v.initializer) continue;
      if (!v.shape || v.shape.some((d) => d === null || typeof d !== 'number')) wanted.push(o);
    }
  }
  const result: GraphShapesResult = { shapes: {}, dims: {}, provider: '', missing: 0 };
  const values = wanted.slice(0, MAX_SHAPE_VALUES);
  result.missing = wanted.length - values.length;
  let first = true;
  for (let i = 0; i < values.length || first; i += MAX_ACTIVATION_VALUES) {
    const batch = values.slice(i, i + MAX_ACTIVATION_VALUES);
    // The first call also tells which inputs were used, even when no value lacks a shape.
    const r = await computeActivations(model.path, { values: batch.length ? batch : [g.inputs[0]], bins: 1 }, c).catch((e: unknown) => {
      if (batch.length > 1) return splitOnFailure(model, batch, c);
      throw e;
    });
    if (first) {
      result.provider = r.provider;
      for (const used of r.inputs) {
        const declared = g.values.get(used.name)?.shape;
        used.shape.forEach((size, d) => {
          const sym = declared?.[d];
          if (typeof sym === 'string') result.dims[sym] = size;
        });
      }
      first = false;
    }
    for (const a of r.activations) result.shapes[a.name] = [a.dtype, a.shape];
    c.onProgress?.(Math.min(1, (i + batch.length) / Math.max(1, values.length)), 'shapes');
  }
  result.missing += values.filter((v) => !result.shapes[v]).length;
  return result;
}

/** A batch with a value that cannot be summarised (strings) fails whole: ask one by one, keeping what comes back. */
async function splitOnFailure(model: Model, batch: string[], c: ActivationContext): Promise<Awaited<ReturnType<typeof computeActivations>>> {
  const out: Awaited<ReturnType<typeof computeActivations>> = { provider: '', inputs: [], activations: [] };
  for (const v of batch) {
    const r = await computeActivations(model.path, { values: [v], bins: 1 }, c).catch(() => undefined);
    if (!r) continue;
    out.provider = r.provider;
    out.inputs = r.inputs;
    out.activations.push(...r.activations);
  }
  return out;
}
