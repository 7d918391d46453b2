import { open as openFile, readdir, stat } from 'node:fs/promises';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import type { FormatDescriptor, OpenOptions } from './descriptor';
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

/** Opens any supported model file, or throws a ModelError that names the file and the problem. */
export async function openModel(path: string, opts: OpenOptions = {}): Promise<Model> {
  let size: number;
  let target = path;
  try {
    const s = await stat(path);
    if (s.isDirectory()) target = await folderMarker(path);
    else if (!s.isFile()) throw new ModelError(path, 'is not a file');
    size = target === path ? s.size : (await stat(target)).size;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size === 0) throw new ModelError(target, 'is empty (0 bytes)');
  const head = await readHead(target, Math.min(size, 4096));
  const reader = formats.find((r) => r.match(target, head));
  if (!reader) throw new ModelError(target, `is not a model format Model Inspector reads (it reads ${formats.map((f) => `${f.name} (${[...f.files, ...(f.optionFiles ?? [])].join(', ')})`).join('; ')})`);
  return reader.open(target, opts);
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
