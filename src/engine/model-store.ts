import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Model } from '../model/graph';
import { ModelError } from '../model/errors';
import { RpcError } from '../protocol/wire';
import type { ModelSummary } from '../protocol/summary';
import { summarize } from '../runtime/summary';
import { openModelChecked } from './open';

/** Parses a file into a Model; injectable so the store can be tested against any opener. */
export type ModelOpener = (path: string, signal: AbortSignal) => Promise<Model>;

/**
 * One parsed file revision (path + mtime + size). Several modelIds may share it; it is disposed, with every
 * per-model resource a feature attached (an inference session, a stats cache), when the last of them closes.
 */
interface Revision {
  readonly key: string;
  readonly model: Model;
  readonly summary: ModelSummary;
  users: number;
  readonly resources: Map<string, { value: unknown; dispose?: (value: unknown) => unknown }>;
}

/** An open that is still parsing: later openers of the same revision wait on it instead of parsing again. */
interface Inflight {
  readonly done: Promise<Revision>;
  readonly abort: AbortController;
  waiters: number;
}

export interface OpenedModel {
  modelId: string;
  summary: ModelSummary;
}

/**
 * The engine's open models, keyed by modelId. Feature handlers call `get(modelId)` for the Model and
 * `resource(modelId, key, create)` for anything they want cached per model and released on close.
 */
export class ModelStore {
  private nextId = 1;
  /** Ids carry the process id so a stale id from before an engine restart can never name a different model. */
  private readonly idPrefix = `m${process.pid.toString(36)}.`;
  private readonly byId = new Map<string, Revision>();
  private readonly byKey = new Map<string, Revision>();
  private readonly inflight = new Map<string, Inflight>();

  constructor(
    private readonly opener: ModelOpener = openModelChecked,
    private readonly log: (level: 'warn' | 'error', message: string) => void = () => {},
  ) {}

  async open(path: string, signal?: AbortSignal): Promise<OpenedModel> {
    const abs = resolve(path);
    let key: string;
    try {
      const s = await stat(abs);
      // Directories and missing files get the reader's own message below; only regular files share a parse.
      key = s.isFile() ? `${abs}\u0000${s.mtimeMs}\u0000${s.size}` : `${abs}\u0000${this.nextId}`;
    } catch (e) {
      throw new ModelError(abs, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const rev = this.byKey.get(key) ?? (await this.join(key, abs, signal));
    rev.users++;
    const modelId = `${this.idPrefix}${this.nextId++}`;
    this.byId.set(modelId, rev);
    return { modelId, summary: rev.summary };
  }

  /** The Model for a modelId, or a 'bad-request' RpcError naming the unknown id. */
  get(modelId: string): Model {
    return this.revision(modelId).model;
  }

  summary(modelId: string): ModelSummary {
    return this.revision(modelId).summary;
  }

  has(modelId: string): boolean {
    return this.byId.has(modelId);
  }

  /**
   * A per-model value created once and shared by every modelId of the same file revision, disposed when the
   * revision is. `create` runs only on first use; a failed create is not cached. `signal`, the creating request's:
   * once it aborts, the creation is forgotten at once, so a request right after a cancel starts afresh instead of
   * joining a pass that is still winding down (and getting its cancellation).
   */
  async resource<T>(modelId: string, key: string, create: (model: Model) => Promise<T> | T, dispose?: (value: T) => unknown, signal?: AbortSignal): Promise<T> {
    const rev = this.revision(modelId);
    const hit = rev.resources.get(key);
    if (hit) return (await hit.value) as T;
    const pending = Promise.resolve().then(() => create(rev.model));
    rev.resources.set(key, { value: pending, dispose: dispose && ((v) => dispose(v as T)) });
    const forget = () => {
      if (rev.resources.get(key)?.value === pending) rev.resources.delete(key);
    };
    signal?.addEventListener('abort', forget, { once: true });
    void pending.then(() => signal?.removeEventListener('abort', forget), () => signal?.removeEventListener('abort', forget));
    try {
      return await pending;
    } catch (e) {
      if (rev.resources.get(key)?.value === pending) rev.resources.delete(key);
      throw e;
    }
  }

  /** Releases one modelId; unknown ids are ignored so a close after a restart or a double close is harmless. */
  async close(modelId: string): Promise<void> {
    const rev = this.byId.get(modelId);
    if (!rev) return;
    this.byId.delete(modelId);
    if (--rev.users > 0) return;
    this.byKey.delete(rev.key);
    await this.disposeRevision(rev);
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.byId.keys()]) await this.close(id);
  }

  /** Distinct parsed revisions held (for tests and `ping`-style diagnostics). */
  get revisionCount(): number {
    return this.byKey.size;
  }

  get openCount(): number {
    return this.byId.size;
  }

  private revision(modelId: string): Revision {
    const rev = this.byId.get(modelId);
    if (!rev) throw new RpcError('bad-request', `unknown model ${String(modelId).slice(0, 60)} (closed, or opened before an engine restart)`);
    return rev;
  }

  /**
   * Waits for the revision's parse, starting it if nobody has. The parse is aborted only when every waiter has
   * given up, so one caller cancelling does not fail another's open of the same file.
   */
  private async join(key: string, path: string, signal?: AbortSignal): Promise<Revision> {
    let job = this.inflight.get(key);
    // A parse everyone gave up on is finishing its abort: a newcomer needs a fresh one.
    if (!job || job.abort.signal.aborted) {
      const abort = new AbortController();
      const fresh: Inflight = {
        done: this.parse(key, path, abort.signal).finally(() => {
          if (this.inflight.get(key) === fresh) this.inflight.delete(key);
        }),
        abort,
        waiters: 0,
      };
      job = fresh;
      this.inflight.set(key, job);
    }
    const j = job;
    j.waiters++;
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      if (!signal) return;
      onAbort = () => {
        if (--j.waiters === 0) j.abort.abort();
        reject(new RpcError('cancelled', 'open was cancelled'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    cancelled.catch(() => {});
    try {
      const rev = await Promise.race([j.done, cancelled]);
      j.waiters--;
      return rev;
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private async parse(key: string, path: string, signal: AbortSignal): Promise<Revision> {
    const model = await this.opener(path, signal);
    if (signal.aborted) {
      await model.dispose?.().catch(() => {});
      throw new RpcError('cancelled', 'open was cancelled');
    }
    const rev: Revision = { key, model, summary: summarize(model), users: 0, resources: new Map() };
    this.byKey.set(key, rev);
    return rev;
  }

  private async disposeRevision(rev: Revision): Promise<void> {
    for (const [name, r] of rev.resources) {
      try {
        const v = await r.value;
        await r.dispose?.(v);
      } catch (e) {
        this.log('warn', `disposing ${name} of ${rev.summary.file} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    rev.resources.clear();
    try {
      await rev.model.dispose?.();
    } catch (e) {
      this.log('warn', `closing ${rev.summary.file} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
