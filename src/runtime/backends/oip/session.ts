import type { Model } from '../../../model/graph';
import { ModelError } from '../../../model/errors';
import type { NdArray, NdData } from '../../../formats/arrays/ndarray';
import type { SkippedProvider } from '../../../protocol/run';
import type { ServerBinding, ServerSecret, ServerStatus } from '../../../protocol/settings';
import type { IoInfo, LoadOptions, RuntimeSession } from '../../session';
import { oneLine } from '../../../model/errors';
import { compareWithFile, ioInfos, localIo } from './check';
import { OipClient, type ModelMetadata, type TensorMetadata } from './client';
import type { DecodedResponse } from './codec';
import { abortError } from './http';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_MB = 256;

/** `server <url> model <name>:<version>`: what ran the model, as results show it. */
export function providerName(b: Pick<ServerBinding, 'url' | 'model'>, version: string | null): string {
  return `server ${b.url} model ${b.model}${version ? `:${version}` : ''}`;
}

/**
 * A model served over the Open Inference Protocol, bound to the local file it was checked against. A run sends one
 * inference request per `maxBatch` samples (the batch dimension split and the outputs joined back), checks every
 * answer against the served metadata, and stops the request in flight when the caller's signal aborts or the
 * session is disposed.
 */
export class OipSession implements RuntimeSession {
  readonly placement = undefined;
  readonly provider: string;
  readonly maxBatch: number | undefined;
  private readonly closed = new AbortController();
  private readonly outputNames: string[];

  constructor(
    private readonly client: OipClient,
    private readonly meta: ModelMetadata,
    readonly server: ServerStatus,
    readonly inputs: IoInfo[],
    readonly outputs: IoInfo[],
    readonly skipped: SkippedProvider[],
    readonly loadMs: number,
  ) {
    this.provider = providerName(server, server.version);
    this.maxBatch = server.maxBatch ?? undefined;
    this.outputNames = meta.outputs.map((o) => o.name);
  }

  async run(feeds: Map<string, NdArray>, opts: { signal?: AbortSignal } = {}): Promise<Map<string, NdArray>> {
    if (opts.signal?.aborted || this.closed.signal.aborted) throw abortError();
    // The caller's Cancel and the session's dispose both stop the request in flight.
    const ac = new AbortController();
    const stop = () => ac.abort();
    opts.signal?.addEventListener('abort', stop, { once: true });
    this.closed.signal.addEventListener('abort', stop, { once: true });
    try {
      return await this.runWith(feeds, ac.signal);
    } finally {
      opts.signal?.removeEventListener('abort', stop);
      this.closed.signal.removeEventListener('abort', stop);
    }
  }

  private async runWith(feeds: Map<string, NdArray>, signal: AbortSignal): Promise<Map<string, NdArray>> {
    const batched = this.batchedInputs(feeds);
    const n = batched.length ? feeds.get(batched[0])!.shape[0] : 1;
    const step = this.maxBatch && batched.length && n > this.maxBatch ? this.maxBatch : n;
    if (step >= n) return this.check(await this.client.infer(feeds, this.outputNames, this.server.binary, signal), undefined);
    const parts: Map<string, NdArray>[] = [];
    for (let i = 0; i < n; i += step) {
      const count = Math.min(step, n - i);
      const chunk = new Map(feeds);
      for (const name of batched) chunk.set(name, rows(feeds.get(name)!, i, count));
      parts.push(this.check(await this.client.infer(chunk, this.outputNames, this.server.binary, signal), count));
    }
    return joinRows(parts, this.meta.outputs);
  }

  /** Inputs whose first dimension the server leaves variable (-1) and that are fed with it: the batch dimension. */
  private batchedInputs(feeds: Map<string, NdArray>): string[] {
    const names = this.meta.inputs.filter((t) => t.shape[0] === -1 && (feeds.get(t.name)?.shape.length ?? 0) === t.shape.length).map((t) => t.name);
    const sizes = new Set(names.map((k) => feeds.get(k)!.shape[0]));
    return sizes.size === 1 ? names : []; // inputs disagreeing on their first size are not one batch: sent whole
  }

  /** The answer's outputs, each the datatype and shape the server's metadata promised (`count`: the batch sent). */
  private check(r: DecodedResponse, count: number | undefined): Map<string, NdArray> {
    const v = this.server.version;
    if (v && r.modelVersion !== undefined && r.modelVersion !== v) throw new Error(`the server answered from version ${r.modelVersion} of ${this.server.model}, not ${v}`);
    const got = new Map(r.outputs.map((o) => [o.name, o]));
    const out = new Map<string, NdArray>();
    for (const t of this.meta.outputs) {
      const o = got.get(t.name);
      if (!o) throw new Error(`the answer lacks output "${t.name}"`);
      const shape = o.array.shape;
      const fits = shape.length === t.shape.length && t.shape.every((d, i) => d === -1 || d === shape[i]);
      if (o.datatype !== t.datatype || !fits || (count !== undefined && t.shape[0] === -1 && shape[0] !== count)) {
        throw new Error(`output "${t.name}" came back ${o.datatype} [${shape.join(', ')}]; the server's metadata says ${t.datatype} [${t.shape.join(', ')}]${count !== undefined ? ` for a batch of ${count}` : ''}`);
      }
      out.set(t.name, o.array);
    }
    return out;
  }

  async dispose(): Promise<void> {
    this.closed.abort();
  }
}

/** Rows [start, start + count) of the first dimension: a view, no copy. */
function rows(a: NdArray, start: number, count: number): NdArray {
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const data = Array.isArray(a.data) ? a.data.slice(start * per, (start + count) * per) : (a.data as Exclude<NdData, string[]>).subarray(start * per, (start + count) * per);
  return { dtype: a.dtype, shape: [count, ...a.shape.slice(1)], data: data as NdData };
}

/** The outputs of consecutive batches as one: batched outputs joined along their first dimension. */
function joinRows(parts: Map<string, NdArray>[], outputs: TensorMetadata[]): Map<string, NdArray> {
  const out = new Map<string, NdArray>();
  for (const t of outputs) {
    const pieces = parts.map((p) => p.get(t.name)!);
    if (t.shape[0] !== -1) {
      out.set(t.name, pieces[0]);
      continue;
    }
    const first = pieces[0];
    const total = pieces.reduce((n, p) => n + p.shape[0], 0);
    let data: NdData;
    if (Array.isArray(first.data)) {
      data = pieces.flatMap((p) => p.data as string[]);
    } else {
      const d = first.data as Exclude<NdData, string[]>;
      const joined = new (d.constructor as new (n: number) => typeof d)(pieces.reduce((n, p) => n + p.data.length, 0));
      let off = 0;
      for (const p of pieces) {
        (joined as Float32Array).set(p.data as Float32Array, off);
        off += p.data.length;
      }
      data = joined;
    }
    out.set(t.name, { dtype: first.dtype, shape: [total, ...first.shape.slice(1)], data });
  }
  return out;
}

/**
 * Connects to the server bound to this file: health, the model's metadata and readiness, its batch limit, then the
 * metadata checked against the file. Anything wrong is a ModelError naming the file and the server.
 */
export async function loadOip(model: Model, binding: ServerBinding, secret: ServerSecret | undefined, opts: LoadOptions): Promise<OipSession> {
  const t0 = performance.now();
  const where = providerName(binding, binding.version ?? null);
  const fail = (problem: string) => new ModelError(model.path, `${where}: ${problem}`);
  const client = new OipClient(
    {
      base: new URL(binding.url),
      timeoutMs: binding.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxResponseBytes: (binding.maxResponseMB ?? DEFAULT_MAX_RESPONSE_MB) * 2 ** 20,
      ...(secret ? { secret } : {}),
    },
    binding.model,
    binding.version,
  );
  try {
    const live = await client.live();
    if (!live) throw fail('the server is not live (/v2/health/live)');
    const [info, ready] = await Promise.all([client.serverMetadata(), client.ready()]);
    let meta: ModelMetadata;
    try {
      meta = await client.modelMetadata();
    } catch (e) {
      throw fail(`the server has no such model (${oneLine(e)})`);
    }
    if (binding.version && meta.versions && !meta.versions.includes(binding.version)) {
      throw fail(`the server serves versions ${meta.versions.join(', ')} of ${meta.name}, not ${binding.version}`);
    }
    const modelReady = await client.modelReady();
    if (!modelReady) throw fail(`the model is not ready on the server${ready ? '' : ' (nor is the server)'}`);
    const { problems, unchecked } = compareWithFile(model, meta);
    if (problems.length) throw fail(`the served model does not match this file (a different model, or another version of it?): ${problems.join('; ')}`);
    let maxBatch: number | undefined;
    let maxBatchFrom: ServerStatus['maxBatchFrom'] = null;
    if (info.extensions.includes('model_configuration')) {
      maxBatch = await client.maxBatchSize().catch(() => undefined); // a nicety: the setting still applies
      if (maxBatch) maxBatchFrom = 'server';
    }
    if (!maxBatch && binding.maxBatch) {
      maxBatch = binding.maxBatch;
      maxBatchFrom = 'setting';
    }
    const version = binding.version ?? (meta.versions?.length === 1 ? meta.versions[0] : null);
    const status: ServerStatus = {
      url: binding.url, model: binding.model, version,
      serverName: info.name, serverVersion: info.version, platform: meta.platform,
      live, ready, modelReady,
      binary: info.extensions.includes('binary_tensor_data'),
      maxBatch: maxBatch ?? null, maxBatchFrom,
      ...(unchecked ? { unchecked } : {}),
    };
    const local = localIo(model);
    // Device preferences belong to local runtimes: said, not silently dropped.
    const skipped = (opts.providers ?? []).map((p) => ({ provider: p, reason: `is a local device; this model runs on ${binding.url}` }));
    return new OipSession(client, meta, status, ioInfos(meta.inputs, local), ioInfos(meta.outputs, local), skipped, performance.now() - t0);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw fail(oneLine(e));
  }
}
