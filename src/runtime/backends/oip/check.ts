import type { Model } from '../../../model/graph';
import type { Dim } from '../../../model/shape';
import { formatShape } from '../../../model/shape';
import type { IoInfo } from '../../session';
import type { ModelMetadata, TensorMetadata } from './client';
import { dtypeOf, oipDatatypeOf } from './datatypes';

// The served model must be the local file's model: same input and output names, element types and fixed sizes
// (a -1 on the server or a symbolic or unknown size here matches anything). What differs is named, so that a
// different model, or another version of it, is caught before any result is believed.

/** The file's graph inputs or outputs as declared (dtype and shape may be unknown: weights-only formats). */
function declared(model: Model, names: readonly string[]): IoInfo[] {
  return names.map((name) => {
    const v = model.graph.values.get(name);
    return { name, dtype: v?.dtype ?? 'unknown', shape: v?.shape };
  });
}

function sameDims(local: Dim[] | undefined, served: number[]): boolean {
  if (!local) return true;
  if (local.length !== served.length) return false;
  return local.every((d, i) => typeof d !== 'number' || served[i] === -1 || served[i] === d);
}

const servedText = (t: TensorMetadata) => `${t.datatype} [${t.shape.join(', ')}]`;

function compareSide(kind: 'input' | 'output', local: IoInfo[], served: TensorMetadata[]): string[] {
  const problems: string[] = [];
  const byName = new Map(served.map((t) => [t.name, t]));
  for (const l of local) {
    const s = byName.get(l.name);
    if (!s) {
      problems.push(`${kind} "${l.name}" of this file is not served (the server has ${served.map((t) => `"${t.name}"`).join(', ') || 'none'})`);
      continue;
    }
    const typeDiffers = l.dtype !== 'unknown' && oipDatatypeOf(l.dtype) !== s.datatype;
    if (typeDiffers || !sameDims(l.shape, s.shape)) {
      problems.push(`${kind} "${l.name}" is ${servedText(s)} on the server, ${l.dtype} ${formatShape(l.shape)} here`);
    }
  }
  const localNames = new Set(local.map((l) => l.name));
  for (const s of served) if (!localNames.has(s.name)) problems.push(`the server's ${kind} "${s.name}" is not one of this file's`);
  return problems;
}

/**
 * What differs between the served model and the file (empty when they agree), and the note when the file declares
 * no inputs to check against (weights-only formats).
 */
export function compareWithFile(model: Model, meta: ModelMetadata): { problems: string[]; unchecked?: string } {
  const ins = declared(model, model.graph.inputs);
  const outs = declared(model, model.graph.outputs);
  if (!ins.length && !outs.length) return { problems: [], unchecked: 'this file declares no inputs or outputs, so the served model could not be checked against it' };
  return { problems: [...compareSide('input', ins, meta.inputs), ...compareSide('output', outs, meta.outputs)] };
}

/**
 * The session's view of the served tensors: the server's datatypes, with the file's symbolic dimension names where
 * the server says -1 (so `--dim batch=4` keeps working), and null for the other variable sizes.
 */
export function ioInfos(served: TensorMetadata[], local: IoInfo[]): IoInfo[] {
  const byName = new Map(local.map((l) => [l.name, l]));
  return served.map((t) => {
    const l = byName.get(t.name)?.shape;
    const shape = t.shape.map((d, i): Dim => (d >= 0 ? d : l && l.length === t.shape.length && typeof l[i] === 'string' ? l[i] : null));
    return { name: t.name, dtype: dtypeOf(t.datatype), shape };
  });
}

export function localIo(model: Model): IoInfo[] {
  return declared(model, [...model.graph.inputs, ...model.graph.outputs]);
}
