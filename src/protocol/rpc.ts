import type { Check } from './validate';
import type { ProgressPayload, WireMessage } from './wire';
import { RpcError, wireProblem } from './wire';

/**
 * One RPC class for every channel (host<->engine process, host<->webview). Requests carry ids, can be
 * cancelled from either side, time out, report progress, and all reject when the endpoint is disposed
 * (a closed panel or a dead engine never leaves a caller waiting).
 */

export type MethodMap = Record<string, { params: unknown; result: unknown }>;
export type EventMap = Record<string, unknown>;

export interface Transport {
  send(msg: WireMessage): void;
  /** Registers the single inbound handler; returns an unsubscribe function. */
  listen(handler: (msg: unknown) => void): () => void;
}

export interface HandlerContext {
  readonly signal: AbortSignal;
  progress(p: ProgressPayload): void;
}

export type Handlers<M extends MethodMap> = {
  [K in keyof M]: (params: M[K]['params'], ctx: HandlerContext) => Promise<M[K]['result']> | M[K]['result'];
};

export interface CallOptions {
  /** Milliseconds; 0 disables. Defaults to the endpoint's defaultTimeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ProgressPayload) => void;
}

export interface RpcOptions<Local extends MethodMap> {
  defaultTimeoutMs?: number;
  /** Params validators for inbound requests from an untrusted side; a request without one is rejected. */
  validators?: { [K in keyof Local]?: Check };
  requireValidators?: boolean;
  /** Inbound event validators; events without one are dropped when requireValidators is set. */
  eventValidators?: Record<string, Check>;
  log?: (level: 'warn' | 'error', message: string) => void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (p: ProgressPayload) => void;
  cleanup(): void;
}

export class RpcEndpoint<Remote extends MethodMap, Local extends MethodMap, InEvents extends EventMap = EventMap, OutEvents extends EventMap = EventMap> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Map<number, AbortController>();
  private readonly eventHandlers = new Map<string, Set<(payload: unknown) => void>>();
  private readonly unlisten: () => void;
  private disposedReason: string | undefined;
  private readyInfo: unknown;
  private readyWaiters: ((info: unknown) => void)[] = [];
  private gotReady = false;

  constructor(
    private readonly transport: Transport,
    private readonly handlers: Partial<Handlers<Local>>,
    private readonly options: RpcOptions<Local> = {},
  ) {
    this.unlisten = transport.listen((m) => this.receive(m));
  }

  /** Resolves with the remote's ready info once its handshake arrives (immediately if it already has). */
  whenReady(): Promise<unknown> {
    if (this.gotReady) return Promise.resolve(this.readyInfo);
    if (this.disposedReason) return Promise.reject(new RpcError('disposed', this.disposedReason));
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  get isReady(): boolean {
    return this.gotReady;
  }

  sendReady(info: unknown): void {
    this.post({ t: 'ready', info });
  }

  call<K extends keyof Remote & string>(method: K, params: Remote[K]['params'], opts: CallOptions = {}): Promise<Remote[K]['result']> {
    if (this.disposedReason) return Promise.reject(new RpcError('disposed', this.disposedReason));
    if (opts.signal?.aborted) return Promise.reject(new RpcError('cancelled', `${method} was cancelled`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.options.defaultTimeoutMs ?? 0;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
            this.post({ t: 'cancel', id });
            this.settle(id, undefined, new RpcError('timeout', `${method} timed out after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
      const onAbort = () => {
        this.post({ t: 'cancel', id });
        this.settle(id, undefined, new RpcError('cancelled', `${method} was cancelled`));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      });
      this.post({ t: 'req', id, method, params });
    });
  }

  emit<E extends keyof OutEvents & string>(name: E, payload: OutEvents[E]): void {
    this.post({ t: 'event', name, payload });
  }

  on<E extends keyof InEvents & string>(name: E, handler: (payload: InEvents[E]) => void): () => void {
    let set = this.eventHandlers.get(name);
    if (!set) this.eventHandlers.set(name, (set = new Set()));
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => set!.delete(h);
  }

  /** Rejects every pending call and aborts every running handler. Safe to call twice. */
  dispose(reason = 'channel closed'): void {
    if (this.disposedReason) return;
    this.disposedReason = reason;
    this.unlisten();
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new RpcError('disposed', reason));
    for (const ac of this.running.values()) ac.abort();
    this.running.clear();
    this.readyWaiters = [];
  }

  /** Like dispose, but pending calls fail with code 'crashed' (the other side died). */
  fail(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, undefined, new RpcError('crashed', reason));
    this.dispose(reason);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private post(msg: WireMessage): void {
    if (this.disposedReason && msg.t !== 'cancel') return;
    try {
      this.transport.send(msg);
    } catch (e) {
      this.options.log?.('warn', `could not send ${msg.t}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private settle(id: number, value: unknown, error?: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (error) p.reject(error);
    else p.resolve(value);
  }

  private receive(raw: unknown): void {
    if (this.disposedReason) return;
    const problem = wireProblem(raw);
    if (problem) {
      this.options.log?.('warn', `rejected message: ${problem}`);
      return;
    }
    const msg = raw as WireMessage;
    switch (msg.t) {
      case 'ready':
        this.gotReady = true;
        this.readyInfo = msg.info;
        for (const w of this.readyWaiters.splice(0)) w(msg.info);
        return;
      case 'res':
        this.settle(msg.id, msg.result);
        return;
      case 'err':
        this.settle(msg.id, undefined, new RpcError(msg.error.code, msg.error.message));
        return;
      case 'progress':
        this.pending.get(msg.id)?.onProgress?.(msg.progress);
        return;
      case 'cancel':
        this.running.get(msg.id)?.abort();
        return;
      case 'event':
        this.receiveEvent(msg.name, msg.payload);
        return;
      case 'req':
        void this.serve(msg.id, msg.method, msg.params);
        return;
    }
  }

  private receiveEvent(name: string, payload: unknown): void {
    const check = own(this.options.eventValidators, name);
    if (this.options.requireValidators && !check) {
      this.options.log?.('warn', `rejected unknown event "${name.slice(0, 60)}"`);
      return;
    }
    const problem = check?.(payload, name);
    if (problem) {
      this.options.log?.('warn', `rejected event "${name}": ${problem}`);
      return;
    }
    for (const h of this.eventHandlers.get(name) ?? []) h(payload);
  }

  private async serve(id: number, method: string, params: unknown): Promise<void> {
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, method)
      ? (this.handlers as Record<string, (p: unknown, c: HandlerContext) => unknown>)[method]
      : undefined;
    if (!handler) {
      this.options.log?.('warn', `rejected request for unknown method "${method.slice(0, 60)}"`);
      this.post({ t: 'err', id, error: { code: 'unknown-method', message: `unknown method ${method.slice(0, 60)}` } });
      return;
    }
    const check = own(this.options.validators as Record<string, Check> | undefined, method);
    if (this.options.requireValidators && !check) {
      this.post({ t: 'err', id, error: { code: 'bad-request', message: `${method} is not accepted on this channel` } });
      return;
    }
    const problem = check?.(params, 'params');
    if (problem) {
      this.options.log?.('warn', `rejected ${method}: ${problem}`);
      this.post({ t: 'err', id, error: { code: 'bad-request', message: problem } });
      return;
    }
    const ac = new AbortController();
    this.running.set(id, ac);
    try {
      const result = await handler(params, {
        signal: ac.signal,
        progress: (p) => this.post({ t: 'progress', id, progress: p }),
      });
      if (ac.signal.aborted) this.post({ t: 'err', id, error: { code: 'cancelled', message: `${method} was cancelled` } });
      else this.post({ t: 'res', id, result });
    } catch (e) {
      const err = ac.signal.aborted ? new RpcError('cancelled', `${method} was cancelled`) : RpcError.from(e);
      this.post({ t: 'err', id, error: err.toPayload() });
    } finally {
      this.running.delete(id);
    }
  }
}

/** A table entry by own key only: a name from the other side ("__proto__", "constructor") must not find Object's. */
function own<T>(table: Record<string, T> | undefined, key: string): T | undefined {
  return table && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** Throws RpcError('cancelled') when the signal has fired; long loops call this between chunks. */
export function throwIfCancelled(signal: AbortSignal | undefined, what = 'operation'): void {
  if (signal?.aborted) throw new RpcError('cancelled', `${what} was cancelled`);
}
