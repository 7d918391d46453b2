import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { FormatDescriptor, OpenHead, OpenOptions } from './descriptor';
import { onnxReader } from './onnx/reader';
import { tfjsReader } from './tfjs/reader';
import { savedModelReader } from './savedmodel/reader';
import { tfliteReader } from './tflite/reader';
import { kerasReader } from './keras/reader';
import { pytorchReader } from './pytorch/reader';
import { safetensorsReader } from './safetensors/reader';
import { ggufReader } from './gguf/reader';

/** Every format Model Inspector opens, most specific first: `openModel` takes the first whose `match` says yes. */
export const formats: readonly FormatDescriptor[] = [savedModelReader, tfliteReader, kerasReader, pytorchReader, safetensorsReader, ggufReader, onnxReader, tfjsReader];

/** The descriptor that produced a model. */
export function formatOf(model: Pick<Model, 'format'>): FormatDescriptor {
  const d = formats.find((f) => f.formats.includes(model.format));
  if (!d) throw new Error(`no descriptor lists the format ${model.format}`);
  return d;
}

/** The size of the file each model was opened from (for a folder format, its marker file), as the open saw it. */
const openedBytes = new WeakMap<Model, number>();

export function openedFileBytes(model: Model): number | undefined {
  return openedBytes.get(model);
}

/** Opens any supported model file, or throws a ModelError that names the file and the problem. */
export async function openModel(path: string, opts: OpenOptions = {}): Promise<Model> {
  let target = path;
  let file = openHead(path);
  if (file === 'folder') {
    target = await folderMarker(path);
    file = openHead(target);
    if (file === 'folder') throw new ModelError(target, 'is not a file');
  }
  const { fd, head } = file;
  try {
    const reader = formats.find((r) => r.match(target, head.bytes));
    if (!reader) throw new ModelError(target, `is not a model format Model Inspector reads (it reads ${formats.map((f) => `${f.name} (${[...f.files, ...(f.optionFiles ?? [])].join(', ')})`).join('; ')})`);
    const model = await reader.open(target, { ...opts, head });
    openedBytes.set(model, head.size);
    return model;
  } finally {
    closeSync(fd);
  }
}

/**
 * A folder format (TF SavedModel) is opened through the file that marks it, so a folder given on the command line
 * or picked in the Explorer opens like its marker file.
 */
async function folderMarker(dir: string): Promise<string> {
  const names = new Set(await readdir(dir));
  for (const f of formats) {
    for (const pattern of [...f.files, ...(f.optionFiles ?? [])]) {
      const leaf = pattern.replace(/^\*\*\//, '');
      if (!leaf.includes('*') && names.has(leaf)) return `${dir.replace(/[\\/]+$/, '')}/${leaf}`;
    }
  }
  throw new ModelError(dir, 'is a folder, not a model file (of folders, Model Inspector opens TF SavedModels: saved_model.pb and variables/)');
}

/** Non-blocking, so that a FIFO given as a model opens at once (and is refused) instead of waiting for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Opens a regular file and reads its size and first 4 KiB, synchronously: a stat and a small read, where the promise
 * API's thread-pool hops cost more than the work (they were half of opening a SafeTensors file). The descriptor stays
 * open for the reader's `open` (OpenOptions.head), so that it need not open and stat the file again. 'folder' for a
 * directory.
 */
function openHead(path: string): { fd: number; head: OpenHead } | 'folder' {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    // Windows does not open folders as files; elsewhere a folder opens and fstat says what it is.
    let folder = false;
    try {
      folder = statSync(path).isDirectory();
    } catch {
      // the open's error says it
    }
    if (folder) return 'folder';
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const s = fstatSync(fd);
    if (s.isDirectory()) {
      closeSync(fd);
      return 'folder';
    }
    if (!s.isFile()) throw new ModelError(path, 'is not a file');
    if (s.size === 0) throw new ModelError(path, 'is empty (0 bytes)');
    const size = s.size;
    const read = (position: number, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      for (let n = 0; n < length; ) {
        let got: number;
        try {
          got = readSync(fd, out, n, length - n, position + n);
        } catch (e) {
          throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
        }
        if (got === 0) throw new ModelError(path, `ended early (wanted bytes up to ${position + length} of ${size}; the file changed?)`);
        n += got;
      }
      return out;
    };
    return { fd, head: { bytes: read(0, Math.min(size, 4096)), size, read } };
  } catch (e) {
    closeSync(fd);
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}
