import { fork, type ChildProcess } from 'node:child_process';
import { totalmem } from 'node:os';
import type { EngineEvents, EngineMethods, EngineReadyInfo } from '../protocol/engine';
import type { EngineSettings } from '../protocol/settings';
import { RpcEndpoint, type CallOptions } from '../protocol/rpc';
import { RpcError } from '../protocol/wire';
import { childTransport, forwardLines, isAlive, killProcess, safely } from './child-process';

export type EngineLogLevel = EngineEvents['log']['level'];

export interface EngineClientOptions {
  /** Absolute path of the bundled engine entry (dist/engine/main.js). */
  enginePath: string;
  /** Heap limit of the engine in MiB; defaults to half of RAM, clamped to 2..8 GiB. */
  maxOldSpaceMb?: number;
  /** How long a fresh engine may take to send its ready handshake. */
  readyTimeoutMs?: number;
  /** Default per-call timeout (0 = none). */
  defaultTimeoutMs?: number;
  /** Crashes tolerated within `crashWindowMs` before the client stays down until restart(). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Extra environment for the engine (merged over process.env): test hooks only; settings go through `settings`. */
  env?: Record<string, string | undefined>;
  /** The user's settings, sent as a `configure` request to every engine started, before any other call. */
  settings?: () => EngineSettings;
  /**
   * After a call is cancelled, how long the engine may take to answer a ping before it is deemed stuck in
   * uninterruptible work (a native inference call) and replaced by a fresh process.
   */
  cancelGraceMs?: number;
}

type Listener<T> = (value: T) => void;
type Endpoint = RpcEndpoint<EngineMethods, Record<string, never>, EngineEvents>;

/** A forked engine with its channel; `ready` settles with its handshake (or why it never came). */
interface Launched {
  child: ChildProcess;
  endpoint: Endpoint;
  ready: Promise<EngineReadyInfo>;
}

/**
 * Jobs that spend their time in native code (onnxruntime's run, tfjs kernels) cannot read a cancel. While such jobs
 * are in use, a standby engine is kept started, so a cancel that must replace the engine swaps to a warm process.
 */
const NATIVE_METHODS: ReadonlySet<string> = new Set(['run', 'activations', 'activationOverlay', 'profile', 'explain', 'runPrompt', 'explainPrompt']);

/** Default heap: big models keep weights outside the JS heap, but graphs of 100k nodes and stats do not. */
function defaultHeapMb(): number {
  const half = Math.floor(totalmem() / 2 / 2 ** 20);
  return Math.min(8192, Math.max(2048, half));
}

/**
 * The host's handle on the engine process. Starts it lazily, speaks RPC over IPC, and restarts it on the next
 * call after an unexpected exit (pending calls fail with 'crashed'). Repeated crashes stop the restarts until
 * `restart()`, so a model that kills the engine on open cannot turn into a fork loop. Never throws synchronously.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private endpoint: RpcEndpoint<EngineMethods, Record<string, never>, EngineEvents> | undefined;
  private starting: Promise<EngineReadyInfo> | undefined;
  private readonly crashTimes: number[] = [];
  private downReason: string | undefined;
  private disposed = false;
  private readonly logListeners = new Set<Listener<EngineEvents['log']>>();
  private readonly crashListeners = new Set<Listener<string>>();
  private readonly readyListeners = new Set<Listener<EngineReadyInfo>>();
  private info: EngineReadyInfo | undefined;
  private generationCount = 0;
  /** While a cancelled call's engine is being checked, new calls wait for the verdict (at most the grace period). */
  private cancelCheck: Promise<void> | undefined;
  /** A started, detached engine to swap in when a cancelled native job leaves the current one stuck. */
  private standby: Launched | undefined;
  private readonly opts: Required<Omit<EngineClientOptions, 'env' | 'settings'>> & Pick<EngineClientOptions, 'env' | 'settings'>;

  constructor(options: EngineClientOptions) {
    this.opts = {
      readyTimeoutMs: 20_000,
      defaultTimeoutMs: 0,
      maxCrashes: 3,
      cancelGraceMs: 250,
      crashWindowMs: 60_000,
      ...options,
      // The host passes `undefined` for "automatic"; the spread above would let it replace the default.
      maxOldSpaceMb: options.maxOldSpaceMb ?? defaultHeapMb(),
    };
  }

  /** Calls an engine method, starting (or restarting) the engine first if needed. */
  call<K extends keyof EngineMethods & string>(method: K, params: EngineMethods[K]['params'], opts: CallOptions = {}): Promise<EngineMethods[K]['result']> {
    try {
      // Calls made right after a cancel would be lost if the engine turns out stuck and is replaced: they wait.
      const checked = this.cancelCheck ?? Promise.resolve();
      return checked.then(() => this.start()).then((): Promise<EngineMethods[K]['result']> => {
        if (this.disposed) throw new RpcError('disposed', 'the engine client was disposed');
        if (!this.endpoint) throw new RpcError('crashed', 'the engine exited before the call could be sent');
        const endpoint = this.endpoint;
        if (NATIVE_METHODS.has(method)) this.warmStandby();
        const result = endpoint.call(method, params, opts);
        const signal = opts.signal;
        if (signal && !signal.aborted && method !== 'ping') {
          const onAbort = () => this.checkAfterCancel(endpoint, method);
          signal.addEventListener('abort', onAbort, { once: true });
          const off = () => signal.removeEventListener('abort', onAbort);
          result.then(off, off);
        }
        return result;
      });
    } catch (e) {
      return Promise.reject(RpcError.from(e));
    }
  }

  /** Ensures a running engine and resolves with its ready info. */
  start(): Promise<EngineReadyInfo> {
    if (this.disposed) return Promise.reject(new RpcError('disposed', 'the engine client was disposed'));
    if (this.downReason) return Promise.reject(new RpcError('crashed', this.downReason));
    if (this.endpoint?.isReady && this.info) return Promise.resolve(this.info);
    if (!this.starting) {
      const p: Promise<EngineReadyInfo> = this.spawn().finally(() => {
        if (this.starting === p) this.starting = undefined;
      });
      this.starting = p;
    }
    return this.starting;
  }

  /** Sends the current settings to the running engine and the standby (a later start sends them itself). */
  async reconfigure(): Promise<void> {
    if (!this.opts.settings) return;
    const settings = this.opts.settings();
    const targets = [this.endpoint?.isReady ? this.endpoint : undefined, this.standby?.endpoint.isReady ? this.standby.endpoint : undefined];
    await Promise.all(targets.filter((e): e is Endpoint => !!e).map((e) => e.call('configure', settings)));
  }

  /** Leaves the stopped-after-crashes state (or replaces a live engine) and starts a fresh process. */
  restart(): Promise<EngineReadyInfo> {
    this.downReason = undefined;
    this.crashTimes.length = 0;
    this.starting = undefined; // a start in progress is abandoned with its child
    this.stopChild('engine restarted');
    return this.start();
  }

  onLog(listener: Listener<EngineEvents['log']>): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Fires with a one-line reason whenever the engine dies unexpectedly (open models are gone with it). */
  onCrash(listener: Listener<string>): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  /** Fires after every successful (re)start. */
  onReady(listener: Listener<EngineReadyInfo>): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Counts engine processes started so far: a model id is only valid in the generation that opened it. Callers
   * that keep ids (the host's model handles) compare it to reopen after the engine was replaced.
   */
  get generation(): number {
    return this.generationCount;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True after repeated crashes, until restart(). */
  get isDown(): boolean {
    return this.downReason !== undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopChild('engine client disposed');
    this.dropStandby('engine client disposed');
    this.logListeners.clear();
    this.crashListeners.clear();
    this.readyListeners.clear();
  }

  private spawn(): Promise<EngineReadyInfo> {
    let launched: Launched;
    try {
      launched = this.launch();
    } catch (e) {
      return Promise.reject(e);
    }
    this.child = launched.child;
    this.endpoint = launched.endpoint;
    return this.adopt(launched);
  }

  /** Waits for a launched engine to be ready and makes it the current one (it is already this.child). */
  private adopt(launched: Launched): Promise<EngineReadyInfo> {
    return launched.ready.then(
      (info) => {
        this.info = info;
        this.generationCount++;
        for (const l of this.readyListeners) safely(() => l(info));
        return info;
      },
      (e: unknown) => {
        const err = RpcError.from(e);
        if (err.code === 'timeout' || err.code === 'failed') {
          if (this.child === launched.child) this.stopChild(err.message);
          // A hung start is as bad as a crash: without counting it, every call would wait out the timeout again.
          if (err.code === 'timeout') this.countCrash(err.message);
        }
        throw err;
      },
    );
  }

  /** Forks an engine and wires its channel, without making it the current one (a spare stays detached). */
  private launch(): Launched {
    let child: ChildProcess;
    try {
      child = fork(this.opts.enginePath, [], {
        // Never inherit the host's flags (inspector ports, loaders); only the heap limit.
        execArgv: [`--max-old-space-size=${this.opts.maxOldSpaceMb}`],
        env: { ...process.env, ...this.opts.env },
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } catch (e) {
      throw new RpcError('failed', `could not start the engine: ${e instanceof Error ? e.message : String(e)}`);
    }
    const endpoint: Endpoint = new RpcEndpoint<EngineMethods, Record<string, never>, EngineEvents>(childTransport(child), {}, {
      defaultTimeoutMs: this.opts.defaultTimeoutMs,
      log: (level, message) => this.emitLog({ level, message: `engine channel: ${message}` }),
    });
    endpoint.on('log', (entry) => this.emitLog(entry));
    forwardLines(child.stdout, (line) => this.emitLog({ level: 'info', message: line }));
    forwardLines(child.stderr, (line) => this.emitLog({ level: 'warn', message: line }));

    const ready = new Promise<EngineReadyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RpcError('timeout', `the engine did not start within ${this.opts.readyTimeoutMs} ms`)), this.opts.readyTimeoutMs);
      child.once('error', (e) => {
        // Spawn failures arrive here (and maybe exit too); 'exit' handles crash bookkeeping.
        this.emitLog({ level: 'error', message: `engine process error: ${e.message}` });
        clearTimeout(timer);
        reject(new RpcError('failed', `could not start the engine: ${e.message}`));
      });
      child.once('exit', (code, signal) => {
        const reason = signal ? `the engine was killed by ${signal}` : `the engine exited with code ${code}`;
        clearTimeout(timer);
        // Detached by restart()/dispose() (or a spare never used): abandoned on purpose, not a crash.
        reject(this.child === child ? new RpcError('crashed', `${reason} while starting`) : new RpcError('cancelled', 'the engine start was abandoned (restart or dispose)'));
        this.onExit(child, endpoint, reason);
      });
      endpoint.whenReady().then(
        async (raw) => {
          // Settings first: no request may run under another engine's defaults.
          if (this.opts.settings) {
            try {
              await endpoint.call('configure', this.opts.settings(), { timeoutMs: this.opts.readyTimeoutMs });
            } catch (e) {
              clearTimeout(timer);
              reject(new RpcError('failed', `the engine refused its settings: ${RpcError.from(e).message}`));
              return;
            }
          }
          clearTimeout(timer);
          resolve(raw as EngineReadyInfo);
        },
        () => {},
      );
    });
    ready.catch(() => undefined); // observed by adopt(); a spare's failure needs no handler
    return { child, endpoint, ready };
  }

  private onExit(child: ChildProcess, endpoint: Endpoint, reason: string): void {
    const expected = this.child !== child; // stopChild() detached it first
    if (this.child === child) {
      this.child = undefined;
      this.endpoint = undefined;
      this.info = undefined;
    }
    endpoint.fail(reason);
    if (expected || this.disposed) return;
    this.countCrash(reason);
    this.emitLog({ level: 'error', message: reason });
    for (const l of this.crashListeners) safely(() => l(reason));
  }

  /**
   * A cancelled job must stop the engine's work, not just the caller's wait. Handlers check their signal, but a
   * native call (onnxruntime-node's session.run) or a long synchronous stretch cannot read the cancel: if the
   * engine does not answer a ping within the grace period, it is killed and a fresh one started. Other calls in
   * flight fail with a message saying so; open models are gone (see `generation`). Not counted as a crash.
   */
  private checkAfterCancel(endpoint: Endpoint, method: string): void {
    if (this.endpoint !== endpoint || this.cancelCheck) return;
    // A replacement starts now, in parallel with the ping, so a stuck engine is swapped out within the grace period
    // instead of grace + a cold start; it is dropped again when the engine answers.
    let spare = this.takeStandby();
    try {
      spare ??= this.launch();
    } catch {
      spare = undefined; // the check still works; the replacement then starts on demand
    }
    // A spare that was not needed goes back to standby rather than being killed and forked again.
    const keep = () => {
      if (!spare) return;
      if (this.standby || this.disposed) killProcess(spare.child, spare.endpoint, 'spare engine not needed', true);
      else this.standby = spare;
    };
    const check = endpoint.call('ping', {}, { timeoutMs: this.opts.cancelGraceMs }).then(
      keep,
      (e: unknown) => {
        if (this.endpoint !== endpoint || this.disposed || RpcError.from(e).code !== 'timeout') {
          keep();
          return;
        }
        const reason = `the engine was restarted because a cancelled ${method} could not be interrupted; requests in flight were dropped, retry them`;
        this.emitLog({ level: 'warn', message: reason });
        this.stopChild(reason, true);
        if (!spare) return;
        this.child = spare.child;
        this.endpoint = spare.endpoint;
        const p: Promise<EngineReadyInfo> = this.adopt(spare).finally(() => {
          if (this.starting === p) this.starting = undefined;
        });
        this.starting = p;
        p.catch(() => undefined);
      },
    ).finally(() => {
      if (this.cancelCheck === check) this.cancelCheck = undefined;
    });
    this.cancelCheck = check;
  }

  /** Starts the standby engine if there is none (or it died). */
  private warmStandby(): void {
    if (this.disposed || (this.standby && isAlive(this.standby.child))) return;
    try {
      this.standby = this.launch();
    } catch {
      this.standby = undefined; // a cancel then starts its replacement cold
    }
  }

  private takeStandby(): Launched | undefined {
    const s = this.standby;
    this.standby = undefined;
    return s && isAlive(s.child) ? s : undefined;
  }

  private dropStandby(reason: string): void {
    const s = this.takeStandby();
    if (s) killProcess(s.child, s.endpoint, reason, true);
  }

  /** Remembers a crash (or a start that hung) and stops restarting after too many in the window. */
  private countCrash(reason: string): void {
    const now = Date.now();
    this.crashTimes.push(now);
    while (this.crashTimes.length && now - this.crashTimes[0] > this.opts.crashWindowMs) this.crashTimes.shift();
    if (this.crashTimes.length > this.opts.maxCrashes) {
      this.downReason = `the engine crashed ${this.crashTimes.length} times within ${Math.round(this.opts.crashWindowMs / 1000)} s and was stopped (last: ${reason}); restart it to try again`;
    }
  }

  /** Detaches and kills the current child; its exit is then not counted as a crash. */
  private stopChild(reason: string, now = false): void {
    const child = this.child;
    const endpoint = this.endpoint;
    this.child = undefined;
    this.endpoint = undefined;
    this.info = undefined;
    if (child && endpoint) killProcess(child, endpoint, reason, now);
    else endpoint?.dispose(reason);
  }

  private emitLog(entry: EngineEvents['log']): void {
    for (const l of this.logListeners) safely(() => l(entry));
  }
}
