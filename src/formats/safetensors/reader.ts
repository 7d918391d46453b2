import { assignNameRoles } from '../tensor-roles';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { FileRegions } from '../file-regions';
import { looksLikeSafetensors, readSafetensorsHeader, type SafetensorsHeader } from './header';
import { ModelFolder } from '../contained-path';

/** An index is a name → file map; even 100k tensors make a few MB. */
const MAX_INDEX_BYTES = 100 * 1024 * 1024;

/**
 * SafeTensors: one `.safetensors` file, or a sharded checkpoint's `model.safetensors.index.json` (weight_map: tensor →
 * shard file; plain JSON other tools open too, so the inspector is only offered for it). Every tensor is a weight of a
 * graph without nodes: the files hold no architecture.
 */
export const safetensorsReader: FormatDescriptor = {
  id: 'safetensors',
  name: 'SafeTensors',
  formats: ['safetensors'],
  files: ['*.safetensors'],
  optionFiles: ['**/model.safetensors.index.json'],
  channelAxis: 'first',
  runs: { backends: [], why: 'SafeTensors files hold weights only: there is no graph to run' },
  match: (path, head) => isIndex(path) || /\.safetensors$/i.test(path) || looksLikeSafetensors(head),
  open: (path, opts = {}) => (isIndex(path) ? openIndex(path, opts) : openSingle(path, opts)),
};

const isIndex = (path: string) => /\.safetensors\.index\.json$/i.test(path);

async function openSingle(path: string, opts: OpenOptions): Promise<Model> {
  const header = await readSafetensorsHeader(path, opts.head);
  opts.signal?.throwIfAborted();
  const regions = new FileRegions(path, header.size);
  const tensors = tensorsOf(header, regions, 'inline');
  return weightsModel(path, tensors, header.metadata, [], undefined, [regions]);
}

async function openIndex(path: string, opts: OpenOptions): Promise<Model> {
    const index = await readIndex(path);
    // Every shard name is checked (the folder rule shared by every format) before any shard is touched.
    const folder = new ModelFolder(path);
    const shards: { name: string; abs: string }[] = [];
    for (const name of new Set(Object.values(index.weightMap))) {
      const where = await folder.locate(name, 'shard path');
      shards.push({ name, abs: where.abs });
    }
    const regions: FileRegions[] = [];
    const tensors: Tensor[] = [];
    const warnings: string[] = [];
    const seen = new Map<string, string>();
    const dataFiles: { path: string; bytes: number }[] = [];
    const metadata: Record<string, string> = {};
    for (const s of shards) {
      opts.signal?.throwIfAborted();
      try {
        await stat(s.abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ModelError(path, code === 'ENOENT' ? `shard file "${s.name}" is missing` : `shard file "${s.name}" cannot be read (${code ?? String(e)})`);
      }
      const header = await readSafetensorsHeader(s.abs);
      for (const [k, v] of Object.entries(header.metadata)) metadata[k] ??= v;
      const r = new FileRegions(s.abs, header.size);
      regions.push(r);
      dataFiles.push({ path: s.abs, bytes: header.size });
      for (const t of tensorsOf(header, r, 'shard')) {
        const first = seen.get(t.name);
        if (first) {
          warnings.push(`tensor "${t.name}" is in both ${first} and ${s.name}; the first is shown`);
          continue;
        }
        seen.set(t.name, s.name);
        tensors.push(t);
      }
    }
    for (const [name, file] of Object.entries(index.weightMap)) {
      const where = seen.get(name);
      if (!where) warnings.push(`tensor "${name}" is in the index (${file}) but in no shard`);
      else if (where !== file) warnings.push(`tensor "${name}" is listed in ${file} but found in ${where}`);
    }
    // The shards' own __metadata__ (usually {"format": "pt"}), then the index's (total_size) over it.
    return weightsModel(path, tensors, { ...metadata, ...index.metadata }, warnings, dataFiles, regions);
}

function tensorsOf(h: SafetensorsHeader, regions: FileRegions, location: 'inline' | 'shard'): Tensor[] {
  const file = basename(regions.file);
  return h.entries.map((e) => ({
    name: e.name,
    dtype: e.dtype,
    shape: e.shape,
    elementCount: e.elementCount,
    location,
    origin: `${file} @ ${e.begin}`,
    data: regions.region(e.begin, e.end - e.begin, e.name),
    ...(e.problem ? { problem: e.problem } : {}),
  }));
}

function weightsModel(path: string, tensors: Tensor[], metadata: Record<string, string>, warnings: string[], dataFiles: Model['dataFiles'], regions: FileRegions[]): Model {
  assignNameRoles(tensors);
  const graph = linkGraph({ name: 'weights', nodes: [], declared: [], inputs: [], outputs: [], initializers: tensors });
  return {
    format: 'safetensors',
    path,
    opsets: [],
    metadata,
    graph,
    functions: [],
    warnings,
    ...(dataFiles ? { dataFiles } : {}),
    dispose: async () => {
      await Promise.all(regions.map((r) => r.dispose()));
    },
  };
}

async function readIndex(path: string): Promise<{ weightMap: Record<string, string>; metadata: Record<string, string> }> {
  let text: string;
  try {
    const s = await stat(path);
    if (s.size > MAX_INDEX_BYTES) throw new ModelError(path, `is ${s.size} bytes; a SafeTensors index over 100 MB is not read`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new ModelError(path, `is not valid JSON (${String((e as Error).message).split('\n')[0].slice(0, 120)})`);
  }
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  const wm = obj?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new ModelError(path, 'is not a SafeTensors index (no "weight_map" object)');
  const weightMap: Record<string, string> = {};
  for (const [k, v] of Object.entries(wm)) {
    if (typeof v !== 'string') throw new ModelError(path, `weight_map entry "${k.slice(0, 200)}" is not a file name`);
    weightMap[k] = v;
  }
  const metadata: Record<string, string> = {};
  const md = obj?.metadata;
  if (typeof md === 'object' && md !== null && !Array.isArray(md)) {
    for (const [k, v] of Object.entries(md)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { weightMap, metadata };
}
