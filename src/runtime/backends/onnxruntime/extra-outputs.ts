import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { ModelError, oneLine } from '../../../model/errors';
import { checkOnnxDataPaths } from '../../../formats/onnx/external-locations';
import { OnnxImage } from '../../../formats/onnx/lazy-payloads';
import { readFully } from '../../../formats/file-regions';
import type { NdArray } from '../../../formats/arrays/ndarray';
import { fromOrtTensor, toOrtTensor } from './session';

/**
 * Intermediate values of an ONNX model: an in-memory copy of the model with those values added as graph outputs (never
 * written to disk), loaded on the provider the normal session uses, cached per (file revision, provider, value set).
 */

function decodeForOutputs(path: string, bytes: Uint8Array): onnx.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelError(path, `cannot be decoded to add outputs (${oneLine(e, 160)})`);
  }
}

/** What adding outputs needs to know of the main graph (a few names and types, not the weights). */
interface GraphIndex {
  rev: string;
  produced: Set<string>;
  outputs: Set<string>;
  weights: Set<string>;
  types: Map<string, onnx.ITypeProto>;
}

const indexes = new Map<string, GraphIndex>();

/**
 * The graph's names, read once per file revision from its structure alone (big weights left on disk, see
 * lazy-payloads.ts); its external data paths are held to the model's folder on the way, as ORT will read them.
 */
async function graphIndex(path: string, rev: string): Promise<GraphIndex> {
  const have = indexes.get(path);
  if (have?.rev === rev) return have;
  const image = await OnnxImage.read(path);
  const m = decodeForOutputs(path, image.bytes);
  await image.dispose();
  await checkOnnxDataPaths(path, m);
  const g = m.graph;
  if (!g) throw new ModelError(path, 'has no graph');
  const index: GraphIndex = {
    rev,
    produced: new Set((g.node ?? []).flatMap((n) => n.output ?? [])),
    outputs: new Set((g.output ?? []).map((o) => o.name ?? '')),
    weights: new Set((g.initializer ?? []).map((t) => t.name ?? '')),
    types: new Map((g.valueInfo ?? []).filter((v) => v.type).map((v) => [v.name ?? '', v.type!])),
  };
  indexes.set(path, index);
  return index;
}

/**
 * The bytes that, appended to the model file, add `values` as graph outputs: a ModelProto holding only a graph
 * holding only those outputs. Protobuf merges a repeated message field into the one before it, so ORT reads the
 * file's graph with the outputs appended, and the model (weights and all) is never decoded and re-encoded. Types
 * come from value_info when declared; an output without a type is accepted by onnxruntime, which infers it.
 */
function outputsPatch(path: string, index: GraphIndex, values: string[]): Uint8Array {
  const added: onnx.IValueInfoProto[] = [];
  const seen = new Set(index.outputs);
  for (const name of values) {
    if (seen.has(name)) continue;
    if (!index.produced.has(name)) {
      const why = index.weights.has(name) ? 'is a weight (see the Weights tab)' : 'is not produced by a node of the main graph';
      throw new ModelError(path, `value "${name.slice(0, 200)}" ${why}`);
    }
    const type = index.types.get(name);
    added.push(type ? { name, type } : { name });
    seen.add(name);
  }
  return onnx.ModelProto.encode({ graph: { output: added } }).finish();
}

interface Entry {
  path: string;
  /** mtime and size: a new revision of the file replaces the old sessions. */
  rev: string;
  session: Promise<ort.InferenceSession>;
}

const CAPACITY = 3;
const entries = new Map<string, Entry>();

async function create(path: string, rev: string, provider: string, values: string[]): Promise<ort.InferenceSession> {
  const patch = outputsPatch(path, await graphIndex(path, rev), values);
  let bytes: Buffer;
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new ModelError(path, `cannot be read (${e.code ?? String(e)})`);
  });
  try {
    const size = (await fh.stat()).size;
    bytes = Buffer.allocUnsafe(size + patch.length);
    if (!(await readFully(fh, bytes, 0, size, 0))) throw new ModelError(path, 'ended early while being read (it changed while being read?)');
    bytes.set(patch, size);
  } finally {
    await fh.close();
  }
  try {
    return await ort.InferenceSession.create(bytes, {
      executionProviders: [provider],
      logSeverityLevel: 4,
      // Loaded from bytes, ORT resolves external data against this folder (else it refuses the paths).
      extra: { session: { model_external_initializers_file_folder_path: dirname(path) } },
    });
  } catch (e) {
    throw new ModelError(path, `cannot be loaded with extra outputs on ${provider} (${oneLine(e)})`);
  }
}

/** The cached session exposing `values` (order-insensitive key); an LRU of a few, since each holds the whole model. */
export async function sessionWithOutputs(path: string, provider: string, values: string[]): Promise<ort.InferenceSession> {
  const s = await stat(path);
  const rev = `${s.mtimeMs}:${s.size}`;
  const key = JSON.stringify([path, rev, provider, [...new Set(values)].sort()]);
  const hit = entries.get(key);
  if (hit) {
    entries.delete(key);
    entries.set(key, hit);
    return hit.session;
  }
  for (const [k, e] of entries) if (e.path === path && e.rev !== rev) drop(k, e);
  const entry: Entry = { path, rev, session: create(path, rev, provider, values) };
  entries.set(key, entry);
  entry.session.catch(() => entries.delete(key));
  while (entries.size > CAPACITY) {
    const [k, e] = entries.entries().next().value!;
    drop(k, e);
  }
  return entry.session;
}

function drop(key: string, e: Entry): void {
  entries.delete(key);
  void e.session.then((s) => s.release(), () => undefined);
}

/** Disposes the extra-output sessions of a model file (it was closed). */
export async function releaseOutputSessions(path: string): Promise<void> {
  indexes.delete(path);
  const mine = [...entries].filter(([, e]) => e.path === path);
  for (const [k] of mine) entries.delete(k);
  await Promise.all(mine.map(([, e]) => e.session.then((s) => s.release(), () => undefined)));
}

/** Runs the session and returns the requested values that came back as tensors. */
export async function runForOutputs(session: ort.InferenceSession, feeds: Map<string, NdArray>, values: string[]): Promise<Map<string, NdArray>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, a] of feeds) ortFeeds[name] = toOrtTensor(a);
  const wanted = values.filter((v) => session.outputNames.includes(v));
  const res = await session.run(ortFeeds, wanted);
  const out = new Map<string, NdArray>();
  for (const name of wanted) {
    const v = res[name];
    if (v instanceof ort.Tensor) out.set(name, fromOrtTensor(v));
  }
  return out;
}
