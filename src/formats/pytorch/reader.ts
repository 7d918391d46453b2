import { open } from 'node:fs/promises';
import type { Model } from '../../model/graph';
import { ModelError } from '../../model/errors';
import type { ByteSource } from '../../model/tensor';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { describeHead, firstZipEntry, isZip, startsWith } from '../head-bytes';
import { ZipArchive, type ZipEntry } from '../zip/zip-archive';
import { pickleBytes, readLayout, type TorchArchive } from './archive';
import { assemble, type NamedTensor } from './assemble';
import { readLegacy } from './legacy';
import type { PyValue, StorageRef } from './pickle-values';
import type { StorageBytes } from './storage-views';
import { walkState } from './state-tree';
import { resolveGlobal, storageFromPid, type GlobalContext } from './torch-globals';
import { unpickle } from './unpickler';

/** torch < 1.6 pickles start with protocol 2 and LONG1 of the magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/** A pickle's PROTO opcode: what any pickle of protocol 2 or later (torch.save's included) begins with. */
const PICKLE_PROTO = 0x80;
/** File names torch.save and torch.jit.save files go by (TorchScript archives are often `.jit`). */
const NAMES = /\.(pt|pth|jit)$/i;

/**
 * A zip written by PyTorch's stream writer (torch.save since 1.6, torch.jit.save): every record sits in a folder,
 * and its local header carries an "FB" extra field that pads the data to 64 bytes. No other zip writer does that,
 * so these bytes are PyTorch's under any file name.
 */
function isTorchZip(head: Uint8Array): boolean {
  const first = firstZipEntry(head);
  return first !== undefined && first.name.includes('/') && startsWith(first.extra, [0x46, 0x42]);
}

export const pytorchReader: FormatDescriptor = {
  id: 'pytorch',
  name: 'PyTorch',
  formats: ['pytorch'],
  files: [],
  // .pt/.pth/.jit are also opened by other extensions (and hold pickles of arbitrary objects), so the inspector is offered.
  optionFiles: ['*.pt', '*.pth', '*.jit'],
  channelAxis: 'first',
  runs: { backends: [], why: 'PyTorch checkpoints hold weights, not a program: running one needs its Python model code (torch.onnx.export makes an ONNX file that runs here)' },

  // The bytes decide under any name; a file offered by its name is this reader's to explain when they do not fit.
  match(path: string, head: Uint8Array): boolean {
    return isTorchZip(head) || startsWith(head, LEGACY_MAGIC) || NAMES.test(path);
  },

  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    const { head, size } = await headOf(path);
    if (startsWith(head, LEGACY_MAGIC)) return openLegacy(path, size, opts);
    if (head[0] === PICKLE_PROTO) throw new ModelError(path, 'is a bare pickle, not a torch.save file; it is not read (re-save with torch.save)');
    if (!isZip(head)) {
      throw new ModelError(path, `is not a PyTorch file: not a zip archive (torch.save since 1.6, torch.jit.save) and no pickle protocol header (torch.save before 1.6); ${describeHead(head)}`);
    }
    const zip = await ZipArchive.open(path);
    try {
      return await read(path, zip, opts);
    } catch (e) {
      await zip.dispose();
      throw e;
    }
  },
};

async function headOf(path: string): Promise<{ head: Uint8Array; size: number }> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => { throw new ModelError(path, `cannot be read (${e.code ?? String(e)})`); });
  try {
    const head = new Uint8Array(LEGACY_MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.byteLength, 0);
    return { head: head.subarray(0, bytesRead), size: (await fh.stat()).size };
  } finally {
    await fh.close();
  }
}

async function openLegacy(path: string, size: number, opts: OpenOptions): Promise<Model> {
  const file = await readLegacy(path, size, opts);
  try {
    const tree = await walkState(file.root, opts.signal);
    const storageBytes = (_folder: string, key: string, tensorName: string): StorageBytes => {
      const source = file.sources.get(key);
      if (!source) throw new ModelError(path, `legacy format: storage ${key} (of tensor "${tensorName}") is not in the file`);
      return { entry: `storage ${key}`, source };
    };
    const facts = {
      format: 'legacy torch.save (torch < 1.6)',
      'protocol version': file.protocolVersion,
      'byte order': file.littleEndian ? 'little' : 'big',
      storages: String(file.storages.size),
      TorchScript: 'no',
    };
    const named = tree.tensors.map((t) => ({ ...t, folder: '' }));
    return await assemble(path, named, storageBytes, !file.littleEndian, facts, tree, 'state_dict', () => file.regions.dispose());
  } catch (e) {
    await file.regions.dispose();
    throw e;
  }
}

async function read(path: string, zip: ZipArchive, opts: OpenOptions): Promise<Model> {
  const layout = await readLayout(zip);
  const storages = new Map<string, StorageRef>();
  const data = await loadPickle(zip, layout, 'data.pkl', layout.dataPkl, storages, opts);
  const tree = await walkState(data, opts.signal);
  const named: NamedTensor[] = tree.tensors.map((t) => ({ ...t, folder: 'data' }));
  const constantStorages = new Map<string, StorageRef>();
  if (layout.constantsPkl) {
    const constants = await loadPickle(zip, layout, 'constants.pkl', layout.constantsPkl, constantStorages, opts);
    const c = await walkState(constants, opts.signal, 'constants');
    const names = new Set(named.map((t) => t.name));
    for (const t of c.tensors) {
      let name = t.name;
      for (let i = 2; names.has(name); i++) name = `${t.name}#${i}`;
      names.add(name);
      named.push({ ...t, name, folder: 'constants' });
    }
    tree.warnings.push(...c.warnings);
  }
  const sources = new Map<string, ByteSource>();
  const storageBytes = (folder: string, key: string, tensorName: string): StorageBytes => {
    const entryName = `${layout.prefix}${folder}/${key}`;
    let source = sources.get(entryName);
    if (!source) {
      const entry = zip.entries.get(entryName);
      if (!entry) throw new ModelError(path, `storage ${entryName} (of tensor "${tensorName}") is missing from the archive`);
      source = entrySource(zip, entry);
      sources.set(entryName, source);
    }
    return { entry: entryName, source };
  };
  const facts = {
    ...(layout.version !== undefined ? { 'archive version': layout.version } : {}),
    'byte order': layout.byteOrder,
    storages: String(storages.size + constantStorages.size),
    TorchScript: layout.torchScript ? 'yes' : 'no',
  };
  const graphName = layout.torchScript ? 'TorchScript module' : 'state_dict';
  return assemble(path, named, storageBytes, layout.byteOrder === 'big', facts, tree, graphName, () => zip.dispose());
}

async function loadPickle(zip: ZipArchive, layout: TorchArchive, what: string, entry: TorchArchive['dataPkl'], storages: Map<string, StorageRef>, opts: OpenOptions): Promise<PyValue> {
  const ctx: GlobalContext = { file: zip.file, what, torchScript: layout.torchScript };
  const bytes = await pickleBytes(zip, entry);
  return unpickle(bytes, {
    file: zip.file,
    what,
    signal: opts.signal,
    global: (module, name) => resolveGlobal(module, name, ctx),
    persistentLoad: (pid) => storageFromPid(pid, ctx, storages),
  });
}

/**
 * A storage entry's bytes, sized from the central directory: its local header is read on the first read, not at
 * open (a big model has thousands of storages).
 */
function entrySource(zip: ZipArchive, entry: ZipEntry): ByteSource {
  let source: Promise<ByteSource> | undefined;
  return {
    byteLength: entry.size,
    async read(offset, length) {
      source ??= zip.source(entry);
      try {
        return await (await source).read(offset, length);
      } catch (e) {
        source = undefined;
        throw e;
      }
    },
  };
}
