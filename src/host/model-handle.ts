// vscode-free: one model file opened in the engine, shared by every panel showing it.
import type { CallOptions } from '../protocol/rpc';
import type { EngineMethods } from '../protocol/engine';
import type { ModelSummary } from '../protocol/summary';
import { RpcError } from '../protocol/wire';
import type { LogFn } from './webview-channel';

/** The part of EngineClient the host needs (EngineClient satisfies it). */
export interface EngineCaller {
  call<K extends keyof EngineMethods & string>(method: K, params: EngineMethods[K]['params'], opts?: CallOptions): Promise<EngineMethods[K]['result']>;
  readonly isDown?: boolean;
  restart?(): Promise<unknown>;
  /** Which engine process answers; a model id is valid only in the generation that opened it. */
  readonly generation?: number;
}

export interface OpenModel {
  modelId: string;
  summary: ModelSummary;
}

interface Opened extends OpenModel {
  generation: number | undefined;
}

/** Messages shown to the user name the file first, like ModelError's. */
export function withFileName(fileName: string, message: string): string {
  return message.startsWith(`${fileName}:`) ? message : `${fileName}: ${message}`;
}

/**
 * Opens lazily, once; a failure is remembered (every panel shows the same error) until `reset` (Retry).
 * After an engine crash the modelId is gone with the process: `invalidate` forgets it so the next use reopens.
 */
export class ModelHandle {
  private opening: Promise<Opened> | undefined;
  private opened: Opened | undefined;
  private closed = false;

  constructor(
    readonly path: string | undefined,
    readonly fileName: string,
    private readonly engine: () => EngineCaller,
    private readonly log: LogFn,
    /** Why `path` is undefined (e.g. a non-file URI). */
    private readonly unreadable = 'is not a file on disk',
  ) {}

  get summary(): ModelSummary | undefined {
    return this.opened?.summary;
  }

  open(): Promise<OpenModel> {
    if (this.closed) return Promise.reject(new RpcError('disposed', withFileName(this.fileName, 'the editor was closed')));
    // The engine was replaced (a cancelled job that could not be interrupted): reopen on the new one, so panels
    // keep working with a fresh model id. Node ids are stable between opens, so the pages' state stays valid.
    if (this.opened && this.opened.generation !== this.engine().generation) {
      this.log('info', `${this.fileName}: the engine was replaced; reopening the model`);
      this.invalidate();
    }
    this.opening ??= this.doOpen();
    return this.opening;
  }

  /** Forget a failure or a stale id; the next `open` tries again (restarting an engine stopped by repeated crashes). */
  async reset(): Promise<void> {
    this.opening = undefined;
    this.opened = undefined;
    const engine = this.engine();
    if (engine.isDown && engine.restart) await engine.restart();
  }

  /** The engine died: the model id is no longer valid. */
  invalidate(): void {
    this.opening = undefined;
    this.opened = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const opened = this.opened;
    this.opening = undefined;
    this.opened = undefined;
    if (!opened || opened.generation !== this.engine().generation) return; // gone with its engine
    try {
      await this.engine().call('close', { modelId: opened.modelId }, { timeoutMs: 10_000 });
    } catch (e) {
      this.log('info', `closing ${this.fileName}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async doOpen(): Promise<Opened> {
    const started = Date.now();
    try {
      if (!this.path) throw new RpcError('failed', this.unreadable);
      const engine = this.engine();
      const result = await engine.call('open', { path: this.path });
      // Read after the call: a fresh engine started for it counts, not the one before.
      const opened: Opened = { ...result, generation: engine.generation };
      if (this.closed) {
        void this.engine().call('close', { modelId: opened.modelId }).catch(() => undefined);
        throw new RpcError('disposed', 'the editor was closed');
      }
      this.opened = opened;
      this.log('info', `opened ${this.path} as ${opened.modelId} in ${Date.now() - started} ms`);
      return opened;
    } catch (e) {
      const err = RpcError.from(e);
      // Dropped by an engine replacement, not a property of the file: the next use tries again.
      if (err.code === 'disposed' && !this.closed) this.opening = undefined;
      this.log('error', `could not open ${this.path ?? this.fileName} (${err.code}): ${err.message}`);
      throw new RpcError(err.code, withFileName(this.fileName, err.message));
    }
  }
}
