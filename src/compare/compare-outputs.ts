import type { Model } from '../model/graph';
import { isFloatDType } from '../model/dtype';
import { ModelError, oneLine } from '../model/errors';
import type { NdArray } from '../formats/arrays/ndarray';
import { elementCount, numberAt } from '../formats/arrays/ndarray';
import type { InputUsed, RunInputSpec } from '../protocol/run';
import { fitArrayToInput } from '../runtime/fit-input';
import { castArray, planInputs } from '../runtime/inputs';
import { chooseBackend } from '../runtime/backends/registry';
import { sessions } from '../runtime/load';
import type { RuntimeSession } from '../runtime/session';
import { tensorRun } from '../runtime/session';
import type * as ExtraOutputs from '../runtime/backends/onnxruntime/extra-outputs';
import type { Divergence } from '../protocol/compare';
import type { NodeDiff } from './match-nodes';

/**
 * The same input through both models: per output max |a−b|, cosine, relative error and top-k agreement; and, for
 * two ONNX models whose nodes match (fp32 vs fp16 / int8 / QDQ copies of one graph), the first node in graph order
 * (ONNX keeps nodes topologically sorted) whose output differs beyond a tolerance.
 *
 * Inputs are made once, for model A (files through the runtime's readers, the rest synthesized from A's input
 * metadata), and B gets the same values converted to its input dtypes (an fp16 copy gets the fp32 values rounded).
 *
 * Divergence: relError = ‖a−b‖/‖a‖ over the whole activation (not per element: near-zero elements would make any
 * element-wise ratio explode), tolerance 1e-3 by default, the same for every dtype. Both sides' activations are
 * decoded to float64 first, so float16 ones are compared at their real values. Measured on onnxruntime's CPU
 * provider (which computes many fp16 operators in fp32 and rounds only what is stored): an fp16 copy of a plain MLP
 * stays within ~5.6e-4 of fp32 through every layer (fp16 rounding is 2^-11 ≈ 4.9e-4), so the default tolerance
 * passes plain rounding and stops where fp16 really hurts (constants it cannot hold, overflow, cancellation). A
 * divergence is a finding, never an error; `--tolerance` moves the bar.
 */

export interface OutputComparison {
  name: string;
  /** B's output name, when it differs. */
  b?: string;
  shape: number[];
  maxAbsDiff: number | null;
  cosine: number | null;
  /** ‖a−b‖/‖a‖. */
  relError: number | null;
  /** Mean over rows of |top-k(a) ∩ top-k(b)| / k (k = 5 or the class count), for class-score-like outputs; else null. */
  topkAgreement: number | null;
  k?: number;
  /** Rows whose top-1 class agrees, as a fraction (with topkAgreement). */
  top1Agreement?: number;
  /** Set when B's output is in the other image layout and was laid out as A's before comparing: says so. */
  layout?: string;
  problem?: string;
}

export interface ActivationDiff {
  node: string;
  nodeId: string;
  nodeIdB: string;
  value: string;
  relError: number | null;
}

export interface OutputsComparison {
  /** Set when the models could not be run on the same input (different input counts or shapes); outputs is then empty. */
  skipped?: string;
  inputs: InputUsed[];
  providers: { a: string; b: string };
  outputs: OutputComparison[];
  tolerance: number;
  divergence: Divergence | null;
  /** Why no divergence search ran (not two ONNX models, no matched nodes); absent when it ran. */
  divergenceSkipped?: string;
  /** relError of every matched node output compared, in A's node order (up to the batch holding the divergence). */
  activations: ActivationDiff[];
  /** Matched node outputs not compared (shape differs, or not a float tensor). */
  activationsSkipped: number;
}

export interface CompareOutputsOptions {
  inputs?: RunInputSpec[];
  dims?: Record<string, number>;
  providers?: string[];
  seed?: number;
  /** Relative error beyond which an activation diverges; default DEFAULT_TOLERANCE. */
  tolerance?: number;
  /** The opened models (vocab sizes for synthesized ids; nodes for the divergence search). */
  modelA?: Model;
  modelB?: Model;
  /** The node matching, required for the divergence search. */
  nodes?: NodeDiff;
  topK?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export const DEFAULT_TOLERANCE = 1e-3;
/** Intermediate values fetched per extra-output session: bounds memory on big graphs. */
const VALUES_PER_BATCH = 256;

/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const extra = () => require('../runtime/backends/onnxruntime/extra-outputs') as typeof ExtraOutputs;

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('comparison was cancelled'), { name: 'AbortError' });
}

/** ‖a−b‖/‖a‖, cosine and max |a−b| of two equally long arrays, over elements finite on both sides. */
export function arrayDiff(a: NdArray, b: NdArray): { relError: number | null; cosine: number | null; maxAbsDiff: number | null } {
  const n = Array.isArray(a.data) ? 0 : a.data.length;
  let aa = 0, bb = 0, ab = 0, dd = 0, max = 0, used = 0;
  for (let i = 0; i < n; i++) {
    const x = numberAt(a, i);
    const y = numberAt(b, i);
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const d = x - y;
    aa += x * x;
    bb += y * y;
    ab += x * y;
    dd += d * d;
    if (Math.abs(d) > max) max = Math.abs(d);
    used++;
  }
  if (!used) return { relError: null, cosine: null, maxAbsDiff: null };
  const rel = aa > 0 ? Math.sqrt(dd / aa) : dd === 0 ? 0 : null;
  const cos = aa > 0 && bb > 0 ? Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb))) : aa === 0 && bb === 0 ? 1 : null;
  return { relError: rel !== null && Number.isFinite(rel) ? rel : null, cosine: cos, maxAbsDiff: max };
}

function topIndices(a: NdArray, start: number, len: number, k: number): Set<number> {
  const idx = Array.from({ length: len }, (_, i) => i);
  const v = (i: number) => {
    const x = numberAt(a, start + i);
    return Number.isNaN(x) ? -Infinity : x;
  };
  idx.sort((x, y) => v(y) - v(x) || x - y);
  return new Set(idx.slice(0, k));
}

/**
 * Top-k agreement for outputs that look like class scores ([C], [N, C], [N, 1, …, C] of floats, C > 1): rows are
 * the leading axis; softmax is monotonic, so logits and probabilities rank alike.
 */
export function topkAgreement(a: NdArray, b: NdArray, k = 5): { topkAgreement: number; top1Agreement: number; k: number } | undefined {
  if (!isFloatDType(a.dtype) || !isFloatDType(b.dtype) || !a.shape.length) return undefined;
  const classes = a.shape[a.shape.length - 1];
  if (classes < 2 || elementCount(a.shape.slice(1, -1)) !== 1) return undefined;
  const rows = Math.min(a.shape.length === 1 ? 1 : a.shape[0], 1024);
  const kk = Math.min(k, classes);
  let agree = 0;
  let top1 = 0;
  for (let r = 0; r < rows; r++) {
    const ta = topIndices(a, r * classes, classes, kk);
    const tb = topIndices(b, r * classes, classes, kk);
    let inter = 0;
    for (const i of ta) if (tb.has(i)) inter++;
    agree += inter / kk;
    if ([...topIndices(a, r * classes, classes, 1)][0] === [...topIndices(b, r * classes, classes, 1)][0]) top1++;
  }
  return { topkAgreement: agree / rows, top1Agreement: top1 / rows, k: kk };
}

const sameShape = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((d, i) => d === y[i]);

/** The two models cannot take the same input: reported in the comparison, not an error. */
export class IncompatibleInputs extends Error {
  override readonly name = 'IncompatibleInputs';
}

/**
 * A's feeds converted for B: by input name, else by position; dtypes converted; shapes must agree where B's are known,
 * except that an image input is laid out in B's layout when the two differ only by it (NCHW for ONNX/PyTorch, NHWC for
 * TF.js/Keras), as `run` does for an array file. `notes` says, per B input, what was changed.
 */
function feedsForB(sb: RuntimeSession, sa: RuntimeSession, feedsA: Map<string, NdArray>): { feeds: Map<string, NdArray>; notes: Map<string, string> } {
  const out = new Map<string, NdArray>();
  const notes = new Map<string, string>();
  if (sb.inputs.length !== sa.inputs.length) {
    throw new IncompatibleInputs(`the second model has ${sb.inputs.length} inputs where the first has ${sa.inputs.length}`);
  }
  const namesA = new Set(sa.inputs.map((i) => i.name));
  const byName = sb.inputs.every((i) => namesA.has(i.name));
  sb.inputs.forEach((info, k) => {
    const nameA = byName ? info.name : sa.inputs[k].name;
    let src = feedsA.get(nameA)!;
    if (info.shape) {
      try {
        const fitted = fitArrayToInput(src, info.shape, info.name, 'input');
        if (fitted.note) {
          const s = src.shape;
          const nhwc = sameShape([s[0], s[2], s[3], s[1]], fitted.array.shape);
          notes.set(nameA, `the second model takes it laid out as [${fitted.array.shape.join(', ')}] (${nhwc ? 'NHWC' : 'NCHW'})`);
        }
        src = fitted.array;
      } catch {
        throw new IncompatibleInputs(`the second model's input "${info.name}" is [${info.shape.map((d) => d ?? '?').join(', ')}] but the first model's is [${src.shape.join(', ')}]`);
      }
    }
    try {
      out.set(info.name, info.dtype === 'unknown' ? src : castArray(src, info.dtype));
    } catch (e) {
      throw new IncompatibleInputs(`the second model's input "${info.name}" (${info.dtype}) cannot take the first model's ${src.dtype} values (${oneLine(e)})`);
    }
  });
  return { feeds: out, notes };
}

async function run(path: string, s: RuntimeSession, feeds: Map<string, NdArray>): Promise<Map<string, NdArray>> {
  try {
    return await tensorRun(s, path)(feeds);
  } catch (e) {
    throw new ModelError(path, `inference failed on ${s.provider} (${oneLine(e)})`);
  }
}

export async function compareOutputs(ma: Model, mb: Model, opts: CompareOutputsOptions = {}): Promise<OutputsComparison> {
  opts = { ...opts, modelA: ma, modelB: mb };
  const pathA = ma.path;
  const pathB = mb.path;
  const tolerance = opts.tolerance ?? DEFAULT_TOLERANCE;
  opts.onProgress?.(0, 'loading models');
  // Sessions of the opened models (cached on them): the runtime is chosen by each model's format.
  const { session: sa } = await sessions.get(ma, { providers: opts.providers });
  const { session: sb } = await sessions.get(mb, { providers: opts.providers });
  checkAbort(opts.signal);
  const plan = await planInputs(sa.inputs, opts.inputs ?? [], { dims: opts.dims, seed: opts.seed, model: opts.modelA, modelPath: pathA });
  const skipped = (inputs: InputUsed[], why: string): OutputsComparison => ({
    inputs, providers: { a: sa.provider, b: sb.provider }, outputs: [], tolerance, divergence: null,
    activations: [], activationsSkipped: 0, skipped: why, divergenceSkipped: why,
  });
  let feedsB: Map<string, NdArray>;
  let inputs = plan.used;
  try {
    const forB = feedsForB(sb, sa, plan.feeds);
    feedsB = forB.feeds;
    inputs = plan.used.map((u) => {
      const note = forB.notes.get(u.name);
      return note ? { ...u, note: u.note ? `${u.note}; ${note}` : note } : u;
    });
  } catch (e) {
    if (!(e instanceof IncompatibleInputs)) throw e;
    return skipped(plan.used, e.message);
  }
  opts.onProgress?.(0.2, 'running both models');
  const outA = await run(pathA, sa, plan.feeds);
  let outB: Map<string, NdArray>;
  try {
    outB = await tensorRun(sb, pathB)(feedsB);
  } catch (e) {
    // A ran on these values and B does not take them (a shape or dtype its metadata did not state): the two models
    // cannot take the same input, which the comparison reports rather than failing on.
    checkAbort(opts.signal);
    return skipped(inputs, `the second model did not run on the first model's input (${oneLine(e)})`);
  }
  checkAbort(opts.signal);

  const namesB = [...outB.keys()];
  const byName = [...outA.keys()].every((n) => outB.has(n));
  const outputs: OutputComparison[] = [...outA].map(([name, a], k) => {
    const bName = byName ? name : namesB[k];
    let b = bName !== undefined ? outB.get(bName) : undefined;
    let layout: string | undefined;
    // An image-shaped output in the other layout (B computes NHWC where A computes NCHW) is compared in A's.
    if (b && !sameShape(a.shape, b.shape) && a.shape.length === 4 && b.shape.length === 4) {
      try {
        const shapeB = b.shape;
        b = fitArrayToInput(b, a.shape, name, 'output').array;
        layout = `the second model's output is [${shapeB.join(', ')}] (the other image layout), compared laid out as the first model's`;
      } catch {
        // not a layout difference: reported below as differing shapes
      }
    }
    const base = { name, ...(bName !== undefined && bName !== name ? { b: bName } : {}), shape: a.shape, ...(layout ? { layout } : {}) };
    const none = { maxAbsDiff: null, cosine: null, relError: null, topkAgreement: null };
    if (!b) return { ...base, ...none, problem: 'the second model has no output to compare with' };
    if (!sameShape(a.shape, b.shape)) return { ...base, ...none, problem: `shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]` };
    if (Array.isArray(a.data) || Array.isArray(b.data)) return { ...base, ...none, problem: 'string outputs are not compared' };
    const top = topkAgreement(a, b, opts.topK ?? 5);
    return { ...base, ...arrayDiff(a, b), topkAgreement: top?.topkAgreement ?? null, ...(top ? { k: top.k, top1Agreement: top.top1Agreement } : {}) };
  });

  const result: OutputsComparison = {
    inputs, providers: { a: sa.provider, b: sb.provider }, outputs, tolerance,
    divergence: null, activations: [], activationsSkipped: 0,
  };
  // The search reads intermediate values: a runtime without them (an inference server) cannot take part.
  const blind = [[ma, sa] as const, [mb, sb] as const].find(([m]) => !chooseBackend(m).backend?.capabilities.includes('activations'));
  const skip = blind ? `the divergence search needs intermediate values, which ${blind[1].provider} does not give` : divergenceSkip(opts);
  if (skip) return { ...result, divergenceSkipped: skip };
  opts.onProgress?.(0.4, 'comparing intermediate values');
  await findDivergence(pathA, pathB, sa, sb, plan.feeds, feedsB, { ...opts, tolerance }, result);
  opts.onProgress?.(1, 'done');
  return result;
}

function divergenceSkip(opts: CompareOutputsOptions): string | undefined {
  if (opts.modelA?.format !== 'onnx' || opts.modelB?.format !== 'onnx') {
    return 'the divergence search needs two ONNX models';
  }
  if (!opts.nodes?.pairs.length) return 'no nodes of the two models match';
  return undefined;
}

/** Matched node outputs (same operator, same output slot) of float type, in A's node order. */
function valuePairs(ma: Model, mb: Model, nodes: NodeDiff): { nodeKey: string; aId: string; bId: string; va: string; vb: string }[] {
  const byIdA = new Map(ma.graph.nodes.map((n) => [n.id, n]));
  const byIdB = new Map(mb.graph.nodes.map((n) => [n.id, n]));
  const floaty = (m: Model, v: string) => {
    const d = m.graph.values.get(v)?.dtype;
    return !d || d === 'unknown' || isFloatDType(d);
  };
  const live = activations(ma);
  const out: { nodeKey: string; aId: string; bId: string; va: string; vb: string }[] = [];
  for (const p of nodes.pairs) {
    const x = byIdA.get(p.aId);
    const y = byIdB.get(p.bId);
    if (!x || !y || x.opType !== y.opType || !x.outputs.some((v) => live.has(v))) continue;
    x.outputs.forEach((va, slot) => {
      const vb = y.outputs[slot];
      if (va && vb && floaty(ma, va) && floaty(mb, vb)) out.push({ nodeKey: p.a, aId: p.aId, bId: p.bId, va, vb });
    });
  }
  return out;
}

/**
 * Values that depend on the model's inputs: activations. A node fed only by weights and constants (an Identity of
 * an initializer, a Cast of a weight) computes the same thing for every input; in two checkpoints of one graph it
 * differs wherever the weights do, which the weights comparison already reports, so the divergence search skips it.
 * Nodes with subgraphs count as live (their bodies may read outer activations without naming them as inputs).
 */
function activations(m: Model): Set<string> {
  const live = new Set(m.graph.inputs);
  for (const n of m.graph.nodes) {
    if (n.subgraphs.length || n.inputs.some((v) => live.has(v))) for (const v of n.outputs) if (v) live.add(v);
  }
  return live;
}

async function findDivergence(
  pathA: string, pathB: string, sa: RuntimeSession, sb: RuntimeSession,
  feedsA: Map<string, NdArray>, feedsB: Map<string, NdArray>, opts: CompareOutputsOptions, result: OutputsComparison,
): Promise<void> {
  const pairs = valuePairs(opts.modelA!, opts.modelB!, opts.nodes!);
  const x = extra();
  try {
    for (let start = 0; start < pairs.length; start += VALUES_PER_BATCH) {
      checkAbort(opts.signal);
      const batch = pairs.slice(start, start + VALUES_PER_BATCH);
      const got = async (path: string, s: RuntimeSession, feeds: Map<string, NdArray>, values: string[]) => {
        try {
          return await x.runForOutputs(await x.sessionWithOutputs(path, s.provider, values), feeds, values);
        } catch (e) {
          if (e instanceof ModelError) throw e;
          throw new ModelError(path, `inference with intermediate outputs failed on ${s.provider} (${oneLine(e)})`);
        }
      };
      const va = await got(pathA, sa, feedsA, batch.map((p) => p.va));
      const vb = await got(pathB, sb, feedsB, batch.map((p) => p.vb));
      for (const p of batch) {
        const a = va.get(p.va);
        const b = vb.get(p.vb);
        if (!a || !b || !sameShape(a.shape, b.shape) || Array.isArray(a.data) || Array.isArray(b.data) || !isFloatDType(a.dtype) || !isFloatDType(b.dtype)) {
          result.activationsSkipped++;
          continue;
        }
        const { relError, maxAbsDiff } = arrayDiff(a, b);
        // ‖a‖ = 0 but b is not: relative error is unbounded, which is a divergence too.
        const rel = relError ?? (maxAbsDiff !== null && maxAbsDiff > 0 ? Infinity : null);
        result.activations.push({ node: p.nodeKey, nodeId: p.aId, nodeIdB: p.bId, value: p.va, relError: rel !== null && Number.isFinite(rel) ? rel : null });
        if (!result.divergence && rel !== null && rel > opts.tolerance!) {
          result.divergence = { node: p.nodeKey, nodeId: p.aId, nodeIdB: p.bId, value: p.va, relError: Number.isFinite(rel) ? rel : Number.MAX_VALUE, tolerance: opts.tolerance! };
        }
      }
      if (result.divergence) break;
    }
  } finally {
    // Each extra-output session holds a whole model; the comparison is done with them.
    await Promise.all([x.releaseOutputSessions(pathA), x.releaseOutputSessions(pathB)]);
  }
}
