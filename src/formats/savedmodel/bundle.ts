import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { Tensor } from '../../model/tensor';
import { FileRegions } from '../file-regions';
import { Pacer } from '../pace';
import { ModelFolder } from '../contained-path';
import { DT_STRING, tfDType, tfDTypeName } from './dtypes';
import { BundleEntryType, BundleHeaderType, TO_OBJECT } from './schema/tf-protos';
import { readTable } from './sstable';

/** A checkpoint index is names, dtypes, shapes and offsets: tens of bytes a tensor. Past this it is not one. */
const MAX_INDEX_BYTES = 512 * 1024 * 1024;
/** More shards than this is a corrupt header, not a checkpoint. */
const MAX_SHARDS = 100_000;
/** The key under which TF keeps the checkpoint's own object graph (a serialized proto, not a weight). */
export const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

export const INDEX_PATH = 'variables/variables.index';

export interface Bundle {
  /** One tensor per checkpoint entry, named by its checkpoint key; bytes are lazy regions of the data shards. */
  readonly tensors: Tensor[];
  readonly numShards: number;
  readonly dataFiles: { path: string; bytes: number }[];
  readonly warnings: string[];
  close(): Promise<void>;
}

type Obj = Record<string, unknown>;

/** Whether the SavedModel folder has a checkpoint index. */
export async function hasIndex(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, INDEX_PATH))).isFile();
  } catch {
    return false;
  }
}

/** Reads `variables/variables.index` of the SavedModel folder `dir` and opens (lazily) the data shards it names. */
export async function readBundle(dir: string, signal?: AbortSignal): Promise<Bundle> {
  // The folder rule shared by every format: a variables/ folder or file linked from outside the model is refused.
  const folder = new ModelFolder(join(dir, 'saved_model.pb'));
  const indexPath = (await folder.locate(INDEX_PATH, 'checkpoint index')).abs;
  const fail = (problem: string) => new ModelError(indexPath, problem);
  let buf: Uint8Array;
  try {
    const s = await stat(indexPath);
    if (s.size > MAX_INDEX_BYTES) throw fail(`is ${s.size} bytes; a checkpoint index over 512 MiB is not read`);
    buf = await readFile(indexPath);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const entries = readTable(indexPath, buf);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let header: Obj | undefined;
  const records: { key: string; entry: Obj }[] = [];
  const pacer = new Pacer(signal);
  for (const e of entries) {
    const key = decoder.decode(e.key);
    const type = key === '' ? BundleHeaderType : BundleEntryType;
    let msg: Obj;
    try {
      msg = type.toObject(type.decode(e.value), TO_OBJECT) as Obj;
    } catch (err) {
      throw fail(`the entry "${key}" is not a valid ${type.name} (${String((err as Error).message)})`);
    }
    if (key === '') header = msg;
    else records.push({ key, entry: msg });
    await pacer.tick();
  }
  if (!header) throw fail('has no bundle header (the entry with the empty key)');
  const numShards = Number(header.numShards ?? 0);
  if (!Number.isInteger(numShards) || numShards < 1 || numShards > MAX_SHARDS) throw fail(`says the checkpoint has ${String(header.numShards)} data shards`);
  if (Number(header.endianness ?? 0) !== 0) throw fail('holds big-endian tensor data, which Model Inspector does not decode');

  const shards = new Map<number, FileRegions>();
  const dataFiles: { path: string; bytes: number }[] = [];
  const close = async () => {
    await Promise.all([...shards.values()].map((r) => r.dispose()));
  };
  try {
    const tensors: Tensor[] = [];
    for (const { key, entry } of records) {
      if (key === OBJECT_GRAPH_KEY) continue;
      const t = await toTensor(folder, indexPath, key, entry, numShards, shards, dataFiles);
      tensors.push(t);
      await pacer.tick();
    }
    return { tensors, numShards, dataFiles, warnings: [], close };
  } catch (e) {
    await close();
    throw e;
  }
}

export function shardName(id: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `variables.data-${pad(id)}-of-${pad(count)}`;
}

async function toTensor(
  folder: ModelFolder,
  indexPath: string,
  key: string,
  entry: Obj,
  numShards: number,
  shards: Map<number, FileRegions>,
  dataFiles: { path: string; bytes: number }[],
): Promise<Tensor> {
  const fail = (problem: string) => new ModelError(indexPath, `${key}: ${problem}`);
  const dims = Array.isArray((entry.shape as Obj | undefined)?.dim) ? ((entry.shape as Obj).dim as Obj[]) : [];
  const shape = dims.map((d) => Number(d.size ?? 0));
  let elementCount = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw fail(`has the dimension ${d}`);
    elementCount *= d;
    if (!Number.isSafeInteger(elementCount)) throw fail(`has a shape of more than 2^53 elements [${shape.join(', ')}]`);
  }
  const dtype = tfDType(entry.dtype) ?? 'unknown';
  const base = { name: key, dtype, shape, elementCount, location: 'shard' as const };
  if (Array.isArray(entry.slices) && entry.slices.length) return { ...base, problem: 'a partitioned variable (stored as slices), which is not read' };
  const shardId = Number(entry.shardId ?? 0);
  const offset = Number(entry.offset ?? 0);
  const size = Number(entry.size ?? 0);
  if (!Number.isInteger(shardId) || shardId < 0 || shardId >= numShards) throw fail(`is in data shard ${shardId}, but the header says there are ${numShards}`);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size) || size < 0) throw fail(`has the byte range offset ${String(entry.offset)}, size ${String(entry.size)}`);
  const width = DTYPE_BYTES[dtype];
  if (entry.dtype === DT_STRING || width === undefined) {
    return { ...base, problem: `${tfDTypeName(entry.dtype)} values in checkpoints are not decoded` };
  }
  if (size !== width * elementCount) throw fail(`stores ${size} bytes, but ${elementCount} ${dtype} values need ${width * elementCount}`);
  let regions = shards.get(shardId);
  const name = shardName(shardId, numShards);
  if (!regions) {
    const path = (await folder.locate(`variables/${name}`, 'checkpoint data shard')).abs;
    let bytes: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new Error('not a file');
      bytes = s.size;
    } catch {
      throw new ModelError(path, `is missing (${INDEX_PATH} keeps tensors such as "${key}" in it)`);
    }
    regions = new FileRegions(path, bytes);
    shards.set(shardId, regions);
    dataFiles.push({ path, bytes });
  }
  return { ...base, origin: `${name} @ ${offset}`, data: regions.region(offset, size, key) };
}
