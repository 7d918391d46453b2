import { readFile } from 'node:fs/promises';
import { ModelError } from '../../model/errors';
import type { NdArray } from './ndarray';
import { isNpy, parseNpy } from './npy';
import { isZip } from '../head-bytes';
import { readNpz } from './npz';
import { parseTensorPb } from './tensor-pb';

/** One array from a file; `name` is the npz member or TensorProto name ('' when the format has none). */
export interface NamedArray {
  name: string;
  array: NdArray;
}

/** Reads a .npy, .npz or ONNX TensorProto .pb file; the content decides, the extension only breaks ties. */
export async function readArrayFile(path: string): Promise<NamedArray[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (bytes.length === 0) throw new ModelError(path, 'is empty (0 bytes)');
  if (isNpy(bytes)) return [{ name: '', array: parseNpy(path, bytes) }];
  if (isZip(bytes)) {
    const members = await readNpz(path);
    if (members.length === 0) throw new ModelError(path, 'holds no .npy arrays');
    return members;
  }
  if (/\.(npy|npz)$/i.test(path)) throw new ModelError(path, 'is not a NumPy .npy/.npz file (bad magic)');
  return [parseTensorPb(path, bytes)];
}
