import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../../../model/errors';
import type { NdArray } from '../../../formats/arrays/ndarray';
import type { ProfileRow } from '../../../protocol/run';
import type { RuntimeSession } from '../../session';
import { activate } from './backend';
import { fromTf, toTf } from './session';

/**
 * TF.js intermediate values and kernel profiling. Graph models execute to any node name directly; Layers models get a
 * sub-model from the model's inputs to the layers' outputs (sharing the weights; never disposed, since disposing would
 * release the shared layers), cached per model and value set.
 */

type TfModel = tf.LayersModel | tf.GraphModel;
const subModels = new WeakMap<TfModel, Map<string, tf.LayersModel>>();

function modelOf(path: string, session: RuntimeSession): TfModel {
  const m = (session as { model?: unknown }).model;
  if (m instanceof tf.GraphModel || m instanceof tf.LayersModel) return m;
  throw new ModelError(path, 'is not a TF.js session');
}

/** IR value name of a Layers model → the symbolic tensor: "layer", "layer:1" (second output), "layer#2" (third call). */
function layerOutput(path: string, m: tf.LayersModel, value: string): tf.SymbolicTensor {
  const match = /^(.*?)(?:#(\d+))?(?::(\d+))?$/.exec(value)!;
  const [, name, call, index] = match;
  if (name.includes('/')) throw new ModelError(path, `value "${value.slice(0, 200)}" is inside a nested model; pick the nested model's own output`);
  let layer: tf.layers.Layer;
  try {
    layer = m.getLayer(name);
  } catch {
    throw new ModelError(path, `has no layer named "${name.slice(0, 200)}"`);
  }
  const out = call ? layer.getOutputAt(Number(call)) : layer.output;
  const list = Array.isArray(out) ? out : [out];
  const t = list[Number(index ?? 0)];
  if (!t) throw new ModelError(path, `layer "${name.slice(0, 200)}" has no output ${index}`);
  return t;
}

function inputTensors(session: RuntimeSession, feeds: Map<string, NdArray>): tf.Tensor[] {
  return session.inputs.map((i) => {
    const a = feeds.get(i.name);
    if (!a) throw new Error(`missing input ${i.name}`);
    return toTf(a, i.dtype);
  });
}

/** Executes `fn` over input tensors built from `feeds`, disposing everything it made. */
async function execute(path: string, session: RuntimeSession, feeds: Map<string, NdArray>, values: string[]): Promise<tf.Tensor[]> {
  const m = modelOf(path, session);
  const ins = inputTensors(session, feeds);
  try {
    if (m instanceof tf.GraphModel) {
      const named: Record<string, tf.Tensor> = {};
      session.inputs.forEach((info, k) => (named[info.name] = ins[k]));
      const r = await m.executeAsync(named, values);
      return Array.isArray(r) ? r : [r];
    }
    let cache = subModels.get(m);
    if (!cache) subModels.set(m, (cache = new Map()));
    const key = JSON.stringify(values);
    let sub = cache.get(key);
    if (!sub) {
      sub = tf.model({ inputs: m.inputs, outputs: values.map((v) => layerOutput(path, m, v)) });
      cache.set(key, sub);
    }
    const r = sub.predict(ins.length === 1 ? ins[0] : ins);
    return Array.isArray(r) ? r : [r];
  } finally {
    tf.dispose(ins);
  }
}

/** The values named, as arrays, for one input. */
export async function tfjsIntermediates(path: string, session: RuntimeSession, feeds: Map<string, NdArray>, values: string[]): Promise<Map<string, NdArray>> {
  await activate(session.provider);
  const outs = await execute(path, session, feeds, values);
  try {
    const result = new Map<string, NdArray>();
    for (let k = 0; k < values.length; k++) result.set(values[k], await fromTf(outs[k]));
    return result;
  } finally {
    tf.dispose(outs);
  }
}

/**
 * Kernel times from tf.profile, averaged over `runs`. Kernels do not name the node they serve, so rows are per kernel
 * call in execution order; for Graph models the k-th kernel of a type is mapped to the k-th node of that op type
 * (best-effort: fused kernels and extra kernels break it), Layers models stay unmapped.
 */
export async function tfjsProfile(path: string, session: RuntimeSession, feeds: Map<string, NdArray>, runs: number, nodes: { id: string; opType: string }[], signal?: AbortSignal): Promise<{ rows: Omit<ProfileRow, 'share'>[]; runMs: number }> {
  await activate(session.provider);
  const m = modelOf(path, session);
  const outputs = session.outputs.map((o) => o.name);
  const sums = new Map<number, { name: string; ms: number }>();
  let wall = 0;
  for (let r = 0; r < runs; r++) {
    if (signal?.aborted) throw Object.assign(new Error('profile was cancelled'), { name: 'AbortError' });
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      if (m instanceof tf.GraphModel) {
        tf.dispose(await execute(path, session, feeds, outputs));
        return;
      }
      const ins = inputTensors(session, feeds);
      tf.dispose(m.predict(ins.length === 1 ? ins[0] : ins));
      tf.dispose(ins);
    });
    wall += performance.now() - t0;
    for (let k = 0; k < info.kernels.length; k++) {
      const kern = info.kernels[k];
      const t = await kern.kernelTimeMs;
      const ms = typeof t === 'number' ? t : 0;
      const row = sums.get(k) ?? { name: kern.name, ms: 0 };
      row.ms += ms;
      sums.set(k, row);
    }
  }
  const byOp = new Map<string, string[]>();
  if (m instanceof tf.GraphModel) for (const n of nodes) byOp.set(n.opType, [...(byOp.get(n.opType) ?? []), n.id]);
  const seen = new Map<string, number>();
  const rows = [...sums.values()].map((s) => {
    const k = seen.get(s.name) ?? 0;
    seen.set(s.name, k + 1);
    const nodeId = byOp.get(s.name)?.[k] ?? null;
    return { nodeId, name: s.name, opType: s.name, ms: s.ms / runs, provider: session.provider, ...(nodeId ? { mappedBy: 'kernel' as const } : {}) };
  });
  return { rows, runMs: wall / runs };
}
