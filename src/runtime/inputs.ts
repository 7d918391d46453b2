import type { Model } from '../model/graph';
import type { DType } from '../model/dtype';
import { isFloatDType } from '../model/dtype';
import { ModelError } from '../model/errors';
import type { NdArray } from '../formats/arrays/ndarray';
import { allocData, numberAt } from '../formats/arrays/ndarray';
import { floatToHalf } from '../model/float-bits';
import type { NamedArray } from '../formats/arrays/read-array-file';
import { readArrayFile } from '../formats/arrays/read-array-file';
import type { InputUsed, RunInputSpec, SynthKind } from '../protocol/run';
import type { IoInfo } from './session';
import { concreteShape, defaultKind, synthesize, vocabSize } from './synthesize';
import { isImagePath, loadImageInput, splitImageOptions } from './image-input';
import { fitArrayToInput } from './fit-input';

export interface InputPlan {
  feeds: Map<string, NdArray>;
  used: InputUsed[];
  dims: Record<string, number>;
}

/** Converts an array to the element type the model wants (np.save writes float64 and int64 by default). */
export function castArray(a: NdArray, dtype: DType): NdArray {
  if (a.dtype === dtype) return a;
  const out = allocData(dtype, a.data.length);
  if (!out || Array.isArray(out) || Array.isArray(a.data)) throw new Error(`cannot convert ${a.dtype} to ${dtype}`);
  for (let i = 0; i < a.data.length; i++) {
    const v = numberAt(a, i);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(Math.trunc(v));
    else if (dtype === 'float16') out[i] = floatToHalf(v);
    else out[i] = isFloatDType(dtype) ? v : Math.trunc(v);
  }
  return { dtype, shape: a.shape, data: out };
}

/**
 * Decides each input's values: files first (by name, else in order), then synthesized ones. Throws a ModelError naming
 * the file when a file does not fit the model's inputs.
 */
export async function planInputs(
  inputs: IoInfo[],
  specs: RunInputSpec[],
  opts: { synth?: SynthKind; seed?: number; dims?: Record<string, number>; model?: Model; modelPath: string },
): Promise<InputPlan> {
  const feeds = new Map<string, NdArray>();
  const used: InputUsed[] = [];
  const dims: Record<string, number> = {};
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const synthKind = new Map<string, SynthKind>();
  const free = () => inputs.find((i) => !feeds.has(i.name) && !synthKind.has(i.name));
  const assign = (info: IoInfo, a: NamedArray, source: string, file: string) => {
    const fitted = fitArrayToInput(a.array, info.shape, info.name, file);
    const array = info.dtype === 'unknown' || info.dtype === fitted.array.dtype ? fitted.array : castArray(fitted.array, info.dtype);
    checkTokenIds(file, info.name, array, vocabSize(opts.model, info.name));
    feeds.set(info.name, array);
    used.push({ name: info.name, dtype: array.dtype, shape: array.shape, source, ...(fitted.note ? { note: fitted.note } : {}) });
  };
  const nonTensor = inputs.find((i) => i.dtype === 'unknown');
  if (nonTensor) throw new ModelError(opts.modelPath, `input "${nonTensor.name}" is a sequence, map or optional value; only tensor inputs can be fed`);
  for (const spec of specs) {
    if (spec.name !== undefined && !byName.has(spec.name)) {
      throw new ModelError(opts.modelPath, `has no input named "${spec.name}" (inputs: ${inputs.map((i) => i.name).join(', ')})`);
    }
    if (!spec.file) {
      const info = spec.name !== undefined ? byName.get(spec.name)! : free();
      if (info) synthKind.set(info.name, spec.synth ?? opts.synth ?? defaultKind(info.dtype));
      continue;
    }
    if (isImagePath(splitImageOptions(spec.file).path)) {
      const info = spec.name !== undefined ? byName.get(spec.name) : free();
      if (!info) throw new ModelError(spec.file, 'has no model input left to feed');
      const file = spec.image ? `${splitImageOptions(spec.file).path}#${Object.values(spec.image).join(',')}` : spec.file;
      const { array, source } = await loadImageInput(file, info, opts.dims ?? {}, dims);
      feeds.set(info.name, array);
      used.push({ name: info.name, dtype: array.dtype, shape: array.shape, source });
      continue;
    }
    const arrays = await readArrayFile(spec.file);
    if (arrays.length === 1 && (spec.name !== undefined || !byName.has(arrays[0].name))) {
      const info = spec.name !== undefined ? byName.get(spec.name) : free();
      if (!info) throw new ModelError(spec.file, 'has no model input left to feed');
      assign(info, arrays[0], `file:${spec.file}`, spec.file);
      continue;
    }
    // Several arrays (npz) or a named TensorProto: by name where names match, else in order.
    const named = arrays.every((a) => byName.has(a.name));
    for (const a of arrays) {
      const info = named ? byName.get(a.name) : free();
      if (!info) throw new ModelError(spec.file, `member ${a.name || '(unnamed)'} matches no remaining model input`);
      assign(info, a, `file:${spec.file}${arrays.length > 1 ? `[${a.name}]` : ''}`, spec.file);
    }
  }
  const seed = opts.seed ?? 0;
  inputs.forEach((info, k) => {
    if (feeds.has(info.name)) return;
    const kind = synthKind.get(info.name) ?? opts.synth ?? defaultKind(info.dtype);
    const shape = concreteShape(info, opts.dims ?? {}, dims);
    const vocab = kind === 'range' || !isFloatDType(info.dtype) ? vocabSize(opts.model, info.name) : undefined;
    // Each input gets its own stream so adding an input does not change the others' values.
    const array = synthesize(info.dtype === 'unknown' ? 'float32' : info.dtype, shape, kind, seed + k, vocab);
    feeds.set(info.name, array);
    const detail = kind === 'normal' || kind === 'uniform' ? `(seed ${seed + k})` : kind === 'range' ? `(<${vocab ?? 1000})` : '';
    used.push({ name: info.name, dtype: array.dtype, shape, source: kind + detail, synthesized: true });
  });
  used.sort((a, b) => inputs.findIndex((i) => i.name === a.name) - inputs.findIndex((i) => i.name === b.name));
  return { feeds, used, dims };
}

/**
 * Token ids from a file must index the embedding table: an id past it would make the runtime fail with an index
 * error deep in a Gather (or read past the table), so the file is named with the first bad id instead.
 */
function checkTokenIds(file: string, input: string, a: NdArray, vocab: number | undefined): void {
  if (vocab === undefined || Array.isArray(a.data) || !/^u?int/.test(a.dtype)) return;
  for (let i = 0; i < a.data.length; i++) {
    const id = Number(a.data[i]);
    if (id < 0 || id >= vocab) throw new ModelError(file, `holds token id ${id} at index ${i}, but input "${input}" indexes a vocabulary of ${vocab} tokens`);
  }
}
