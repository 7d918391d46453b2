import type { Model } from '../model/graph';
import type { DType } from '../model/dtype';
import { isFloatDType } from '../model/dtype';
import type { Dim } from '../model/shape';
import type { NdArray } from '../formats/arrays/ndarray';
import { allocData, elementCount } from '../formats/arrays/ndarray';
import { floatToHalf } from '../model/float-bits';
import type { SynthKind } from '../protocol/run';
import { defaultDimValue } from '../protocol/dim-defaults';
import type { IoInfo } from './session';

/**
 * Seeded PRNG (mulberry32): the same seed gives the same inputs on every machine. The state is open so that a
 * WebAssembly kernel (explain/kernels/rise-mix.wat, which runs the same steps) can continue the same stream.
 */
export class Mulberry32 {
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1): a 32-bit draw over 2^32. */
  next(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** `Mulberry32` as a function. */
export function rng(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

function normal(next: () => number): () => number {
  return () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

/**
 * The value for one unknown dimension: the user's --dim first, then the shared guess from its name and position
 * (protocol/dim-defaults). Returns the key it is reported under.
 */
function resolveDim(d: Dim, axis: number, input: IoInfo, user: Record<string, number>): { key: string; value: number } | number {
  if (typeof d === 'number') return d;
  const key = typeof d === 'string' && d ? d : `${input.name}[${axis}]`;
  if (user[key] !== undefined) return { key, value: user[key] };
  return { key, value: defaultDimValue(d, axis, { dtype: input.dtype, shape: input.shape ?? [] }) };
}

/** Concrete shape for an input plus the symbolic values used (merged into `used`). */
export function concreteShape(input: IoInfo, user: Record<string, number>, used: Record<string, number>): number[] {
  if (!input.shape) return []; // rank unknown: a scalar is the only honest guess
  return input.shape.map((d, axis) => {
    const r = resolveDim(d, axis, input, user);
    if (typeof r === 'number') return r;
    used[r.key] = r.value;
    return r.value;
  });
}

/** Upper bound for token ids of an input feeding an embedding (ONNX Gather on a weight, Keras Embedding). */
export function vocabSize(model: Model | undefined, input: string): number | undefined {
  if (!model) return undefined;
  const g = model.graph;
  for (const id of g.values.get(input)?.consumers ?? []) {
    const n = g.nodes.find((x) => x.id === id);
    if (!n) continue;
    if (n.opType === 'Gather' && n.inputs[1] === input) {
      const w = g.values.get(n.inputs[0])?.initializer;
      if (w && w.shape.length >= 1 && w.shape[0] > 0) return w.shape[0];
    }
    if (/embedding/i.test(n.opType)) {
      const a = n.attributes.find((x) => x.name === 'input_dim' || x.name === 'inputDim');
      const v = a && (a.value.type === 'int' || a.value.type === 'json') ? Number(a.value.value) : NaN;
      if (Number.isFinite(v) && v > 0) return v;
    }
  }
  return undefined;
}

export function defaultKind(dtype: DType): SynthKind {
  if (isFloatDType(dtype)) return 'normal';
  if (dtype === 'bool') return 'zeros';
  if (dtype === 'string') return 'zeros';
  return 'range';
}

/**
 * Recently synthesized arrays, by everything that decides their values: repeated runs and explanations of a model
 * ask for the same input again, and normal values cost ~50 ns each (log and cos). Callers get copies. Small arrays
 * only, a few of them.
 */
const recent = new Map<string, NdArray>();
const RECENT_MAX = 4;
const RECENT_ELEMENTS = 1 << 20;

/** Fills an array of `dtype`/`shape` by `kind`; `vocab` bounds 'range' values (ids 0..vocab-1, repeating). */
export function synthesize(dtype: DType, shape: number[], kind: SynthKind, seed: number, vocab = 1000): NdArray {
  const key = `${dtype}|${shape.join(',')}|${kind}|${seed}|${vocab}`;
  let made = recent.get(key);
  if (made) recent.delete(key); // re-inserted below: most recent last
  else made = generate(dtype, shape, kind, seed, vocab);
  if (Array.isArray(made.data) || made.data.length > RECENT_ELEMENTS) return made;
  recent.set(key, made);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
  return { dtype, shape: shape.slice(), data: made.data.slice() };
}

function generate(dtype: DType, shape: number[], kind: SynthKind, seed: number, vocab: number): NdArray {
  const n = elementCount(shape);
  const data = allocData(dtype, n);
  if (!data) throw new Error(`cannot synthesize ${dtype} inputs`);
  if (Array.isArray(data)) {
    data.fill(kind === 'zeros' ? '' : 'a');
    return { dtype, shape, data };
  }
  const uni = rng(seed);
  const gauss = normal(uni);
  const value = (i: number): number => {
    switch (kind) {
      case 'zeros': return 0;
      case 'ones': return 1;
      case 'range': return i % vocab;
      case 'uniform': return isFloatDType(dtype) ? uni() : Math.floor(uni() * vocab);
      case 'normal': return isFloatDType(dtype) ? gauss() : Math.floor(Math.abs(gauss()) * 10) % vocab;
    }
  };
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) data[i] = BigInt(value(i));
  } else if (dtype === 'float16') {
    for (let i = 0; i < n; i++) data[i] = floatToHalf(value(i));
  } else if (dtype === 'bfloat16') {
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      f[0] = value(i);
      data[i] = u[0] >>> 16;
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < n; i++) data[i] = kind === 'uniform' || kind === 'normal' ? (uni() < 0.5 ? 1 : 0) : value(i) ? 1 : 0;
  } else {
    for (let i = 0; i < n; i++) data[i] = value(i);
  }
  return { dtype, shape, data };
}
