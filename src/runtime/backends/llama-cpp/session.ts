import { statSync } from 'node:fs';
import type * as NodeLlamaCppModule from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import { availableParallelism, freemem } from 'node:os';
import type { Model } from '../../../model/graph';
import { ModelError, oneLine } from '../../../model/errors';
import { ownDevices } from '../../backend';
import type { SkippedProvider } from '../../../protocol/run';
import { formatBytes } from '../../../protocol/summary';
import type { LoadOptions, RuntimeSession } from '../../session';
import { preferredDevices } from '../../settings';
import { cudaDriverFound, NO_CUDA_DRIVER, NO_VULKAN_LOADER, vulkanLoaderFound } from '../../gpu-libraries';
import { singleToken, type TextTokenizer } from '../../lm/tokenizer';
import { checkAbort, type EvaluateOptions, type TokenModel, type TokenPass } from '../../lm/token-model';
import { binaryPackage, defaultLlamaDevices, LLAMA_DEVICES } from './devices';
import { resolvable } from './install';

// node-llama-cpp is ESM only and our bundles are CommonJS: a dynamic import loads it, once, on first use.
type NodeLlamaCpp = typeof NodeLlamaCppModule;
type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;
type LlamaContext = Awaited<ReturnType<LlamaModel['createContext']>>;
type LlamaSequence = ReturnType<LlamaContext['getSequence']>;

let lib: Promise<NodeLlamaCpp> | undefined;
const importLib = () => (lib ??= import('node-llama-cpp'));

/** One llama.cpp instance per device per process (getLlama loads a native build); failures are remembered with their reason. */
const instances = new Map<string, Promise<Llama>>();
const failures = new Map<string, string>();

/** Why a device cannot start here, before trying it (missing package, missing Vulkan loader), or undefined. */
function knownFailure(device: string): string | undefined {
  const known = failures.get(device);
  if (known) return known;
  const pkg = binaryPackage(device);
  if (!pkg) return `no ${device} build exists for ${process.platform}-${process.arch}`;
  if (!resolvable(pkg)) return device === 'cpu' ? `the llama.cpp binary is missing: ${pkg} is not installed` : `not installed: add ${pkg}@3.21.1 next to the extension (see the README) to use it`;
  if (device === 'vulkan' && process.platform === 'linux' && !vulkanLoaderFound()) return NO_VULKAN_LOADER;
  if (device === 'cuda' && !cudaDriverFound()) return NO_CUDA_DRIVER;
  return undefined;
}

function instance(device: string): Promise<Llama> {
  let p = instances.get(device);
  if (!p) {
    p = importLib().then((m) => m.getLlama({
      gpu: device === 'cpu' ? false : (device as 'cuda' | 'vulkan' | 'metal'),
      build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, logLevel: m.LlamaLogLevel.error,
    }));
    instances.set(device, p);
    p.catch(() => instances.delete(device));
  }
  return p;
}

function deviceOrder(requested: string[] | undefined): { order: string[]; skipped: SkippedProvider[] } {
  const want = requested?.length ? requested : preferredDevices('llama-cpp') ?? defaultLlamaDevices();
  const { order, skipped } = ownDevices({ name: 'llama.cpp', devices: LLAMA_DEVICES }, want);
  if (!order.includes('cpu')) order.push('cpu'); // the CPU build always exists: the last resort, as ORT's cpu
  return { order, skipped };
}

/** GGUF metadata the reader already decoded, as a number. */
function metaNumber(model: Model, key: string): number | undefined {
  const v = Number(model.metadata[key]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/**
 * Threads for the CPU work: no more than the cores this process may use. ggml's threads spin while they wait, so
 * more threads than cores (node-llama-cpp's default counts logical math cores) made a 16-token pass take 2 s
 * instead of 3 ms on a busy 2-core machine.
 */
function cpuThreads(llama: Llama): number {
  return Math.max(1, Math.min(llama.cpuMathCores, availableParallelism()));
}

/** The context every pass runs in; prompts longer than this are refused before evaluation. */
const DEFAULT_CONTEXT = 2048;

/**
 * Loads a GGUF on the first llama.cpp build in order that starts, refusing a model larger than free memory first.
 * Attention runs without flash attention and the KV cache in F32, so probabilities match an exact float32
 * computation (~1e-5) rather than llama.cpp's F16 default (~1e-2 in logits): this is an inspection tool.
 */
export async function loadLlama(model: Model, opts: LoadOptions): Promise<RuntimeSession> {
  const path = model.path;
  const bytes = statSync(path).size;
  const free = freemem();
  if (bytes > free) throw new ModelError(path, `is ${formatBytes(bytes)}, more than the ${formatBytes(free)} of free memory: refused before loading`);
  // llama.cpp says only "Failed to load model" for an architecture it lacks: check against the list it ships.
  const arch = model.metadata.architecture;
  const known = Object.values((await importLib() as unknown as { GgufArchitectureType: Record<string, string> }).GgufArchitectureType);
  if (arch && !known.includes(arch)) throw new ModelError(path, `has architecture "${arch}", which this llama.cpp (node-llama-cpp 3.21.1) does not know`);
  const { order, skipped } = deviceOrder(opts.providers);
  const t0 = performance.now();
  for (const device of order) {
    const known = knownFailure(device);
    if (known) {
      skipped.push({ provider: device, reason: known });
      continue;
    }
    let llama: Llama;
    try {
      llama = await instance(device);
    } catch (e) {
      const reason = `its build did not start (${oneLine(e, 200)})${device === 'cuda' ? ': it needs the NVIDIA driver and the CUDA 12.4+ runtime' : ''}`;
      failures.set(device, reason);
      skipped.push({ provider: device, reason });
      continue;
    }
    let lm: LlamaModel;
    try {
      lm = await llama.loadModel({ modelPath: path, gpuLayers: device === 'cpu' ? 0 : 'auto', useMmap: true });
    } catch (e) {
      throw new ModelError(path, `cannot be loaded by llama.cpp (${oneLine(e, 300)})`);
    }
    const train = metaNumber(model, 'context length') ?? lm.trainContextSize;
    const contextSize = Math.max(16, Math.min(train || DEFAULT_CONTEXT, DEFAULT_CONTEXT));
    let ctx: LlamaContext;
    try {
      ctx = await lm.createContext({ contextSize, batchSize: Math.min(512, contextSize), threads: cpuThreads(llama), flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32', sequences: 1 });
    } catch (e) {
      await lm.dispose();
      throw new ModelError(path, `llama.cpp could not create a context of ${contextSize} tokens (${oneLine(e, 300)})`);
    }
    const provider = device === 'cpu' ? 'cpu' : `${device} (${lm.gpuLayers} layers offloaded)`;
    const tokens = new LlamaTokenModel(path, lm, ctx.getSequence(), metaNumber(model, 'vocab size'), contextSize);
    return {
      provider,
      skipped,
      loadMs: performance.now() - t0,
      inputs: [],
      outputs: [],
      placement: undefined,
      tokens,
      async dispose() {
        await ctx.dispose();
        await lm.dispose();
      },
    };
  }
  throw new ModelError(path, `no llama.cpp build could start (${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})`);
}

/** llama.cpp as a TokenModel: one sequence, its KV cache reused across passes that share a prefix. */
class LlamaTokenModel implements TokenModel {
  readonly kind = 'causal' as const;
  readonly maxBatch = 1;
  readonly vocabSize: number;
  readonly tokenizer: TextTokenizer;
  /** One pass at a time on the one sequence: calls queue here. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    model: LlamaModel,
    private readonly seq: LlamaSequence,
    vocab: number | undefined,
    readonly contextLength: number,
  ) {
    const t = model.tokens;
    const meta = model.fileInfo.metadata as unknown as { tokenizer?: { ggml?: { padding_token_id?: number; unknown_token_id?: number; tokens?: unknown[] } } };
    this.vocabSize = vocab ?? meta.tokenizer?.ggml?.tokens?.length ?? 0;
    const neutral = meta.tokenizer?.ggml?.padding_token_id ?? meta.tokenizer?.ggml?.unknown_token_id ?? t.eos ?? undefined;
    this.tokenizer = {
      source: "the GGUF's own vocabulary (llama.cpp)",
      size: this.vocabSize,
      encode: (text) => {
        const ids = model.tokenize(text, false) as number[];
        return t.shouldPrependBosToken && t.bos !== null ? [t.bos as number, ...ids] : ids;
      },
      piece: (id) => model.detokenize([id as never], true),
      idOf: (text) => singleToken(text, (x) => model.tokenize(x, false) as number[]),
      neutralId: neutral ?? undefined,
      maskId: undefined,
    };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private toLog(probs: Map<unknown, number> | undefined): Float32Array {
    const out = new Float32Array(this.vocabSize).fill(-Infinity);
    if (probs) for (const [id, p] of probs) if ((id as number) < out.length) out[id as number] = Math.log(p);
    return out;
  }

  private check(ids: number[]): void {
    if (!ids.length) throw new ModelError(this.path, 'the prompt has no tokens');
    if (ids.length > this.contextLength) throw new ModelError(this.path, `the prompt has ${ids.length} tokens, more than the ${this.contextLength} the model takes`);
    for (const id of ids) if (!(id >= 0 && id < this.vocabSize)) throw new ModelError(this.path, `token id ${id} is out of range: the vocabulary has ${this.vocabSize} tokens`);
  }

  /** Keeps the cached tokens that `ids` starts with and erases the rest; returns how many are kept. */
  private async reuse(ids: number[], observed: boolean): Promise<number> {
    const cached = this.seq.contextTokens as number[];
    let keep = 0;
    if (!observed) while (keep < cached.length && keep < ids.length - 1 && cached[keep] === ids[keep]) keep++;
    if (keep === 0) await this.seq.clearHistory();
    else if (keep < cached.length) await this.seq.eraseContextTokenRanges([{ start: keep, end: cached.length }]);
    return keep;
  }

  evaluate(seqs: number[][], o: EvaluateOptions = {}): Promise<TokenPass[]> {
    return this.serial(async () => {
      const out: TokenPass[] = [];
      for (const ids of seqs) {
        checkAbort(o.signal);
        this.check(ids);
        if (o.at !== undefined && o.at !== ids.length - 1) throw new ModelError(this.path, 'llama.cpp predicts after the last token only');
        const keep = await this.reuse(ids, !!o.observed);
        const items = ids.slice(keep).map((id, k) => (o.observed || keep + k === ids.length - 1 ? [id, { generateNext: { probabilities: true } }] : id));
        const res = await this.seq.controlledEvaluate(items as never);
        const last = res[items.length - 1]?.next.probabilities;
        if (!last) throw new ModelError(this.path, 'llama.cpp returned no probabilities');
        const pass: TokenPass = { next: this.toLog(last) };
        if (o.observed) {
          const observed = new Float32Array(ids.length).fill(NaN);
          for (let k = 1; k < ids.length; k++) {
            const p = res[k - 1]?.next.probabilities?.get(ids[k] as never);
            observed[k] = p === undefined ? -Infinity : Math.log(p);
          }
          pass.observed = observed;
        }
        out.push(pass);
      }
      return out;
    });
  }

  generate(ids: number[], n: number, signal?: AbortSignal): Promise<{ id: number; p: number }[]> {
    return this.serial(async () => {
      this.check(ids);
      const keep = await this.reuse(ids, false);
      let items: unknown[] = ids.slice(keep).map((id, k) => (keep + k === ids.length - 1 ? [id, { generateNext: { probabilities: true } }] : id));
      const out: { id: number; p: number }[] = [];
      let length = ids.length;
      while (out.length < n && length < this.contextLength) {
        checkAbort(signal);
        const res = await this.seq.controlledEvaluate(items as never);
        const probs = res[items.length - 1]?.next.probabilities;
        if (!probs) break;
        // The map is sorted by probability: its first entry is the greedy choice.
        const [id, p] = probs.entries().next().value as [number, number];
        out.push({ id, p });
        items = [[id, { generateNext: { probabilities: true } }]];
        length++;
      }
      return out;
    });
  }
}
