import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { ByteSource } from '../../model/tensor';
import type { OpenOptions } from '../descriptor';
import { FileRegions } from '../file-regions';
import { PyDict, type PyValue, type StorageRef } from './pickle-values';
import { resolveGlobal, storageFromPid, type GlobalContext } from './torch-globals';
import { unpickleAt, type UnpickleHooks } from './unpickler';

/** torch < 1.6's magic number, the first pickle of a legacy file. */
const MAGIC = 0x1950a86a20f9469cfc6cn;
/** The pickles come first and are small; they are read from a window that grows up to this. */
const MAX_PICKLES_BYTES = 256 * 1024 * 1024;
const FIRST_WINDOW = 1024 * 1024;

export interface LegacyFile {
  readonly root: PyValue;
  readonly storages: Map<string, StorageRef>;
  /** Each storage's bytes, by key. */
  readonly sources: Map<string, ByteSource>;
  readonly protocolVersion: string;
  readonly littleEndian: boolean;
  readonly regions: FileRegions;
}

/**
 * The legacy torch.save format (torch 0.4-1.5, or `_use_new_zipfile_serialization=False`): five pickles in a row
 * (magic number, protocol version, system info, the object, the list of storage keys), then each storage as an
 * int64 element count and its raw bytes, in the order of that list. The same restricted unpickler reads the
 * pickles; the storages become regions of the file, located by reading their 8-byte counts.
 */
export async function readLegacy(path: string, size: number, opts: OpenOptions): Promise<LegacyFile> {
  const regions = new FileRegions(path, size);
  try {
    return await read(path, size, regions, opts);
  } catch (e) {
    await regions.dispose();
    throw e;
  }
}

async function read(path: string, size: number, regions: FileRegions, opts: OpenOptions): Promise<LegacyFile> {
  const fail = (problem: string) => new ModelError(path, `legacy format: ${problem}`);
  const storages = new Map<string, StorageRef>();
  for (let window = Math.min(size, FIRST_WINDOW); ; window = Math.min(size, window * 8, MAX_PICKLES_BYTES)) {
    const bytes = await regions.readAt(0, window);
    try {
      return await parse(path, bytes, regions, storages, opts, fail);
    } catch (e) {
      // A pickle cut by the window: read more of the file, unless the window already is the whole file (or the cap).
      const cut = e instanceof ModelError && /: truncated/.test(e.problem);
      if (!cut || window >= size || window >= MAX_PICKLES_BYTES) throw e;
      storages.clear();
    }
  }
}

async function parse(path: string, bytes: Uint8Array, regions: FileRegions, storages: Map<string, StorageRef>, opts: OpenOptions, fail: (p: string) => Error): Promise<LegacyFile> {
  const hooks = (what: string): UnpickleHooks => {
    const ctx: GlobalContext = { file: path, what, torchScript: false };
    return {
      file: path,
      what,
      signal: opts.signal,
      global: (module, name) => resolveGlobal(module, name, ctx),
      persistentLoad: (pid) => storageFromPid(pid, ctx, storages),
    };
  };
  const magic = await unpickleAt(bytes, 0, hooks('the magic number pickle'));
  if (magic.value !== MAGIC) throw fail('the magic number is wrong');
  const protocol = await unpickleAt(bytes, magic.end, hooks('the protocol version pickle'));
  const sysInfo = await unpickleAt(bytes, protocol.end, hooks('the system info pickle'));
  const root = await unpickleAt(bytes, sysInfo.end, hooks('the object pickle'));
  const keys = await unpickleAt(bytes, root.end, hooks('the storage keys pickle'));
  let littleEndian = true;
  if (sysInfo.value instanceof PyDict) {
    const i = sysInfo.value.keys.indexOf('little_endian');
    if (i >= 0) littleEndian = sysInfo.value.values[i] !== false;
  }
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string')) throw fail('the storage keys are not a list of names');
  const sources = new Map<string, ByteSource>();
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw fail(`storage ${key.slice(0, 40)} is listed but no tensor uses it`);
    if (at + 8 > regions.size) throw fail(`the file ends before storage ${key} (byte ${at})`);
    const head = await regions.readAt(at, 8);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigInt64(0, littleEndian);
    const byteLength = Number(count) * DTYPE_BYTES[s.dtype]!;
    if (count < 0n || !Number.isSafeInteger(byteLength) || at + 8 + byteLength > regions.size) {
      throw fail(`storage ${key} of ${count} elements at byte ${at} is beyond the end of the file (${regions.size} bytes)`);
    }
    sources.set(key, regions.region(at + 8, byteLength, `storage ${key}`));
    at += 8 + byteLength;
  }
  return { root: root.value, storages, sources, protocolVersion: String(protocol.value), littleEndian, regions };
}
