import * as tf from '@tensorflow/tfjs';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { TokenMethod } from '../protocol/prompt';
import type { RuntimeSession } from '../runtime/session';
import { lmSignature } from '../runtime/lm/signature';
import { selectTfjsBackend } from '../runtime/backends/tfjs/backend';
import { loadDifferentiable, UnsupportedOperatorError, type DifferentiableModel } from './onnx-executor';
import { withKernelFallback } from './kernel-fallback';

export interface EmbeddingAttribution {
  scores: Float32Array;
  /** Forward-and-backward passes it took. */
  passes: number;
  /** The target's log-probability at the prompt and at the baseline (IG's completeness check). */
  fx?: number;
  fb?: number;
  notes: string[];
}

/** The node that looks token ids up in the embedding table: a Gather from a 2-D initializer indexed by the ids input. */
function embeddingLookup(model: Model, idsInput: string): { table: string; output: string } | undefined {
  const g = model.graph;
  const tables = new Map(g.initializers.map((t) => [t.name, t.shape]));
  const fromIds = new Set([idsInput]);
  for (const n of g.nodes) if (n.opType === 'Cast' && fromIds.has(n.inputs[0])) fromIds.add(n.outputs[0]);
  const gather = g.nodes.find((n) => n.opType === 'Gather' && tables.get(n.inputs[0])?.length === 2 && fromIds.has(n.inputs[1]));
  return gather ? { table: gather.inputs[0], output: gather.outputs[0] } : undefined;
}

/**
 * Gradient × input and Integrated Gradients on the input embeddings of an ONNX language model, through the
 * differentiable executor: the embedding lookup's output is fed directly, so gradients reach it; a token's score is
 * the dot product over the embedding dimension. IG integrates from every token's embedding replaced by the
 * baseline token's (what occlusion puts in a removed token's place) to the prompt's, with `steps` points.
 */
export async function embeddingAttribution(
  model: Model,
  session: RuntimeSession,
  ids: number[],
  target: number,
  at: number,
  method: TokenMethod,
  o: { steps: number; baseline: number; signal?: AbortSignal },
): Promise<EmbeddingAttribution> {
  if (model.format !== 'onnx') throw new ModelError(model.path, `${method} needs the model's input embeddings, which only ONNX graphs expose here (occlusion and shapley work on every backend)`);
  const sig = lmSignature(session.inputs, session.outputs);
  if (typeof sig === 'string') throw new ModelError(model.path, `is not a language model: it ${sig}`);
  const lookup = embeddingLookup(model, sig.ids);
  if (!lookup) throw new ModelError(model.path, 'has no embedding lookup (a Gather from an embedding table indexed by the token ids) to take gradients at; occlusion and shapley still work');
  await selectTfjsBackend(undefined);
  const dm = await differentiable(model, o.signal);
  const t = ids.length;
  const ones = (name: string | undefined, fill: (c: number) => number, out: Record<string, tf.Tensor>) => {
    if (name) out[name] = tf.tensor2d([Array.from({ length: t }, (_, c) => fill(c))], [1, t], 'int32');
  };
  const fixed: Record<string, tf.Tensor> = {};
  try {
    fixed[sig.ids] = tf.tensor2d([ids], [1, t], 'int32');
    ones(sig.attentionMask, () => 1, fixed);
    ones(sig.positionIds, (c) => c, fixed);
    ones(sig.tokenTypeIds, () => 0, fixed);
    for (const p of sig.past) fixed[p.name] = tf.zeros((p.shape ?? []).map((d, k) => (k === 0 ? 1 : typeof d === 'number' ? d : 0)), 'float32');
    // The table is the model's own weight tensor: read, never disposed here.
    const table = dm.run(fixed, [lookup.table])[lookup.table] as tf.Tensor2D;
    const x = tf.tidy(() => tf.gather(table, tf.tensor1d(ids, 'int32')).expandDims(0) as tf.Tensor3D); // [1, T, d]
    const b = tf.tidy(() => tf.gather(table, tf.fill([t], o.baseline, 'int32')).expandDims(0) as tf.Tensor3D);
    const f = (e: tf.Tensor) => {
      const logits = dm.run({ ...fixed, [lookup.output]: e }, [sig.logits])[sig.logits];
      const row = logits.slice([0, logits.shape[1] === 1 ? 0 : at, 0], [1, 1, -1]).reshape([-1]);
      return tf.logSoftmax(row).gather([target]).sum();
    };
    const grad = tf.grad(f);
    const perToken = (g: tf.Tensor, d: tf.Tensor) => tf.tidy(() => g.mul(d).sum(-1).reshape([-1]).dataSync() as Float32Array);
    if (method === 'gradxinput') {
      const g = await withKernelFallback(() => grad(x));
      const scores = Float32Array.from(perToken(g, x));
      g.dispose();
      tf.dispose([x, b]);
      return { scores, passes: 1, notes: [] };
    }
    // IG: the midpoint (Riemann) rule over the straight path from b to x.
    const diff = x.sub(b);
    let total: tf.Tensor = tf.zerosLike(x);
    for (let k = 0; k < o.steps; k++) {
      o.signal?.throwIfAborted();
      const alpha = (k + 0.5) / o.steps;
      const g = await withKernelFallback(() => tf.tidy(() => grad(b.add(diff.mul(alpha)))));
      const next = total.add(g);
      tf.dispose([total, g]);
      total = next;
      await tf.nextFrame();
    }
    const scores = Float32Array.from(perToken(total.div(o.steps), diff));
    const fx = tf.tidy(() => f(x).dataSync()[0]);
    const fb = tf.tidy(() => f(b).dataSync()[0]);
    tf.dispose([total, diff, x, b]);
    return { scores, passes: o.steps + 2, fx, fb, notes: [`integrated gradients from every token's embedding set to token ${o.baseline}'s, ${o.steps} steps`] };
  } finally {
    tf.dispose(Object.values(fixed));
  }
}

/**
 * The differentiable form of the last model explained, kept between calls (reading every weight into tfjs costs more
 * than a gradient pass on small models); explaining another model frees it.
 */
let cached: { model: Model; dm: Promise<DifferentiableModel> } | undefined;

async function differentiable(model: Model, signal?: AbortSignal): Promise<DifferentiableModel> {
  if (cached?.model !== model) {
    const old = cached;
    cached = { model, dm: loadDifferentiable(model, { signal }) };
    void old?.dm.then((d) => d.dispose(), () => undefined);
  }
  try {
    return await cached.dm;
  } catch (e) {
    cached = undefined;
    if (e instanceof UnsupportedOperatorError) throw new ModelError(model.path, `gradient methods cannot run: unsupported operator(s) ${e.ops.join(', ')} (occlusion and shapley still work)`);
    throw e;
  }
}
