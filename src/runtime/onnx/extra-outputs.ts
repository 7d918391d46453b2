import { stat, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { ModelError } from '../../model/errors';
import { checkOnnxDataPaths } from '../../formats/onnx/external-locations';
import type { NdArray } from '../../formats/arrays/ndarray';
import { oneLine } from '../session';
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

/** Re-encodes the model with `values` appended to the graph outputs. Types come from value_info when declared; an
 * output without a type is accepted by onnxruntime, which infers it. */
function encodeWithOutputs(path: string, m: onnx.ModelProto, values: string[]): Uint8Array {
  const g = m.graph;
  if (!g) throw new ModelError(path, 'has no graph');
  g.output ??= [];
  const produced = new Set((g.node ?? []).flatMap((n) => n.output ?? []));
  const outputs = new Set(g.output.map((o) => o.name));
  const weights = new Set((g.initializer ?? []).map((t) => t.name));
  const declared = new Map((g.valueInfo ?? []).map((v) => [v.name, v]));
  for (const name of values) {
    if (outputs.has(name)) continue;
    if (!produced.has(name)) {
      const why = weights.has(name) ? 'is a weight (see the Weights tab)' : 'is not produced by a node of the main graph';
      throw new ModelError(path, `value "${name.slice(0, 200)}" ${why}`);
    }
    const info = declared.get(name);
    g.output.push(onnx.ValueInfoProto.create(info?.type ? { name, type: info.type } : { name }));
    outputs.add(name);
  }
  return onnx.ModelProto.encode(m).finish();
}

interface Entry {
  path: string;
  /** mtime and size: a new revision of the file replaces the old sessions. */
  rev: string;
  session: Promise<ort.InferenceSession>;
}

const CAPACITY = 3;
const entries = new Map<string, Entry>();

async function create(path: string, provider: string, values: string[]): Promise<ort.InferenceSession> {
  const m = decodeForOutputs(path, await readFile(path));
  // ORT reads the external data itself (from the model's folder): its paths are held to that folder first.
  await checkOnnxDataPaths(path, m);
  const bytes = encodeWithOutputs(path, m, values);
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
  const entry: Entry = { path, rev, session: create(path, provider, values) };
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
