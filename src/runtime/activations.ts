import type { Model } from '../model/graph';
import { isFloatDType } from '../model/dtype';
import { ModelError, oneLine } from '../model/errors';
import type { NdArray } from '../formats/arrays/ndarray';
import type { ActivationOverlayResult, ActivationParams, ActivationsResult, ActivationSummary, OverlayMeasure, RunInputParams } from '../protocol/run';
import { MAX_ACTIVATION_VALUES } from '../protocol/run';
import { sessions } from './load';
import { backendWith, chooseBackend } from './backends/registry';
import { planInputs, type InputPlan } from './inputs';
import type { RuntimeSession } from './session';
import { reduceActivation, summarizeActivation } from './activation-stats';

/**
 * Intermediate activations for one input: statistics and histograms of chosen values, or one number per node for the
 * graph overlay. Tensors stay in this process; only summaries are returned.
 */

export interface ActivationContext {
  /** The opened IR: node ids for values, and the node list for the overlay. */
  model: Model;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** Arrays to feed directly (tests); they win over `inputs`. */
  feeds?: Map<string, NdArray>;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

/** The base session (provider choice and input metadata, shared with `run`) and the values to feed. */
export async function prepareRun(path: string, p: RunInputParams, c: ActivationContext): Promise<{ session: RuntimeSession; plan: InputPlan }> {
  c.onProgress?.(0, 'loading model');
  const { session } = await sessions.get(c.model, { providers: p.providers });
  checkAbort(c.signal);
  const plan = await planInputs(session.inputs, p.inputs ?? [], { ...p, model: c.model, modelPath: path });
  for (const [k, v] of c.feeds ?? []) plan.feeds.set(k, v);
  return { session, plan };
}


/** Runs once and returns the values named (graph inputs come straight from the feeds). */
async function fetchValues(model: Model, session: RuntimeSession, plan: InputPlan, values: string[], signal?: AbortSignal): Promise<Map<string, NdArray>> {
  const path = model.path;
  const out = new Map<string, NdArray>();
  const computed = values.filter((v) => {
    const fed = plan.feeds.get(v);
    if (fed) out.set(v, fed);
    return !fed;
  });
  if (!computed.length) return out;
  let got: Map<string, NdArray>;
  try {
    const backend = backendWith(model, 'activations', 'Reading intermediate values');
    got = await backend.intermediates!(model, session, plan.feeds, computed, signal);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `inference with intermediate outputs failed on ${session.provider} (${oneLine(e)})`);
  }
  checkAbort(signal);
  for (const [k, v] of got) out.set(k, v);
  return out;
}

/** Statistics and histograms of up to 64 values of the main graph for the current input. */
export async function computeActivations(path: string, p: ActivationParams, c: ActivationContext): Promise<ActivationsResult> {
  const values = [...new Set(p.values)];
  if (!values.length) throw new ModelError(path, 'no values asked for');
  if (values.length > MAX_ACTIVATION_VALUES) throw new ModelError(path, `at most ${MAX_ACTIVATION_VALUES} values at once (${values.length} asked)`);
  for (const v of values) {
    if (!c.model.graph.values.has(v)) throw new ModelError(path, `has no value named "${v.slice(0, 200)}"`);
  }
  const { session, plan } = await prepareRun(path, p, c);
  c.onProgress?.(0.3, 'running');
  const got = await fetchValues(c.model, session, plan, values, c.signal);
  c.onProgress?.(0.9, 'summarizing');
  const activations: ActivationSummary[] = [];
  for (const v of values) {
    const a = got.get(v);
    if (!a) throw new ModelError(path, `value "${v.slice(0, 200)}" did not come back from ${session.provider} (not a tensor?)`);
    const s = summarizeActivation(v, a, p.bins ?? 64, c.model.graph.values.get(v)?.producer);
    if (!s) throw new ModelError(path, `value "${v.slice(0, 200)}" holds ${a.dtype}, which has no statistics`);
    activations.push(s);
  }
  return { provider: session.provider, inputs: plan.used, activations };
}

/**
 * Every node output of the main graph in one run, each reduced to mean|x| (or std): node id → value of the node's
 * first float output. Nodes whose outputs are all known to be non-float are left out; float ones without a value are
 * listed as missing.
 */
export async function computeActivationOverlay(path: string, p: RunInputParams & { measure?: OverlayMeasure }, c: ActivationContext): Promise<ActivationOverlayResult> {
  const measure = p.measure ?? 'meanAbs';
  const g = c.model.graph;
  const floaty = (name: string) => {
    const d = g.values.get(name)?.dtype;
    return !d || d === 'unknown' || isFloatDType(d);
  };
  // TF.js Layers values inside nested models cannot be reached from the outer model's inputs.
  const reachable = (name: string) => !(c.model.format === 'tfjs-layers' && name.includes('/'));
  const nodes = g.nodes.map((n) => ({ id: n.id, outs: n.outputs.filter((o) => o && floaty(o) && reachable(o)) })).filter((n) => n.outs.length);
  const values = [...new Set(nodes.flatMap((n) => n.outs))];
  const { session, plan } = await prepareRun(path, p, c);
  c.onProgress?.(0.3, `running with ${values.length} outputs`);
  const got = values.length ? await fetchValues(c.model, session, plan, values, c.signal) : new Map<string, NdArray>();
  const result: Record<string, number> = {};
  const missing: string[] = [];
  for (const n of nodes) {
    let v: number | undefined;
    for (const o of n.outs) {
      const a = got.get(o);
      if (a && (isFloatDType(a.dtype) || a.dtype === 'unknown')) {
        v = reduceActivation(a, measure);
        if (v !== undefined) break;
      }
    }
    if (v !== undefined) result[n.id] = v;
    else if (n.outs.some((o) => { const a = got.get(o); return !a || isFloatDType(a.dtype); })) missing.push(n.id);
  }
  return {
    provider: session.provider,
    overlay: { title: measure === 'meanAbs' ? 'activation mean |x|' : 'activation std', values: result, scale: 'sequential' },
    missing,
  };
}

/** Drops the extra-output sessions of a model (called when the engine closes the model). */
export async function releaseActivationSessions(model: Model): Promise<void> {
  const c = chooseBackend(model);
  await c.backend?.releaseIntermediates?.(model);
}
