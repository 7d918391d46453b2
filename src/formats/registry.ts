import { open as openFile, stat } from 'node:fs/promises';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { FormatReader, OpenOptions } from './reader';
import { onnxReader } from './onnx/reader';
import { tfjsReader } from './tfjs/reader';

export const readers: readonly FormatReader[] = [onnxReader, tfjsReader];

/** Opens any supported model file, or throws a ModelError that names the file and the problem. */
export async function openModel(path: string, opts: OpenOptions = {}): Promise<Model> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ModelError(path, 'is not a file');
    size = s.size;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size === 0) throw new ModelError(path, 'is empty (0 bytes)');
  const head = await readHead(path, Math.min(size, 4096));
  const reader = readers.find((r) => r.match(path, head));
  if (!reader) throw new ModelError(path, 'is not a model format Model Inspector reads (expected an ONNX .onnx file or a TF.js model.json)');
  return reader.open(path, opts);
}

async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await openFile(path, 'r');
  try {
    const buf = new Uint8Array(n);
    await fh.read(buf, 0, n, 0);
    return buf;
  } finally {
    await fh.close();
  }
}
