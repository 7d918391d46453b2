import type { GroupLayout, LayoutJob } from './layout-core';
import { LayoutEngine } from './layout-core';

/**
 * Runs layout jobs off the UI thread. The worker script URL comes from the host (body[data-layout-worker]); if a
 * worker cannot be started (no URL, cross-origin refusal) the same engine runs on the main thread in slices.
 * A new request supersedes the previous one: its promise resolves undefined.
 */
/** Set by scripts/build.mjs to the worker bundle's source; test pages that load the worker by URL leave it undefined. */
declare const __MI_LAYOUT_WORKER_SOURCE__: string | undefined;

/** A blob: URL for the inlined worker (allowed by the webview CSP's worker-src blob:, unlike a cross-origin URL). */
function inlinedWorkerUrl(): string | undefined {
  if (typeof __MI_LAYOUT_WORKER_SOURCE__ !== 'string') return undefined;
  return URL.createObjectURL(new Blob([__MI_LAYOUT_WORKER_SOURCE__], { type: 'text/javascript' }));
}

export class LayoutClient {
  private worker: Worker | undefined;
  private fallback: LayoutEngine | undefined;
  private gen = 0;
  private readonly pending = new Map<number, { resolve: (r: GroupLayout[] | undefined) => void; job: LayoutJob }>();
  /** Where the last job ran: tests and the bench check that it was the worker. */
  mode: 'worker' | 'main-thread' = 'main-thread';
  /** The worker's own time for the last job (without message passing), for the bench. */
  lastJobMs = 0;

  constructor(workerUrl: string | undefined) {
    const url = inlinedWorkerUrl() ?? workerUrl;
    if (!url) return;
    try {
      this.worker = new Worker(url);
      this.mode = 'worker';
      this.worker.onmessage = (e: MessageEvent<{ type: string; gen: number; groups?: GroupLayout[]; message?: string; ms?: number }>) => {
        const m = e.data;
        if (m.ms !== undefined) this.lastJobMs = m.ms;
        const done = this.pending.get(m.gen);
        if (!done) return;
        this.pending.delete(m.gen);
        if (m.type === 'error') console.error(`[model-inspector] layout failed: ${m.message}`);
        done.resolve(m.type === 'done' ? m.groups : undefined);
      };
      this.worker.onerror = (e) => {
        console.warn(`[model-inspector] layout worker unavailable (${e.message}); laying out on the main thread`);
        e.preventDefault();
        this.worker?.terminate();
        this.worker = undefined;
        this.mode = 'main-thread';
        // Jobs that were waiting on the dead worker are answered by the fallback instead.
        for (const [g, p] of this.pending) {
          this.pending.delete(g);
          void this.runHere(p.job).then(p.resolve);
        }
      };
    } catch (e) {
      console.warn(`[model-inspector] cannot start the layout worker: ${e instanceof Error ? e.message : String(e)}`);
      this.worker = undefined;
    }
  }

  layout(job: Omit<LayoutJob, 'gen'>): Promise<GroupLayout[] | undefined> {
    const gen = ++this.gen;
    for (const [g, p] of this.pending) {
      this.pending.delete(g);
      p.resolve(undefined);
    }
    const full: LayoutJob = { ...job, gen };
    if (this.worker) {
      return new Promise((resolve) => {
        this.pending.set(gen, { resolve, job: full });
        this.worker!.postMessage({ type: 'layout', job: full });
      });
    }
    return this.runHere(full);
  }

  private runHere(job: LayoutJob): Promise<GroupLayout[] | undefined> {
    this.fallback ??= new LayoutEngine();
    return this.fallback.run(job, () => this.gen !== job.gen, () => new Promise((r) => setTimeout(r, 0)));
  }

  cancel(): void {
    const gen = ++this.gen;
    this.worker?.postMessage({ type: 'cancel', gen });
    for (const [g, p] of this.pending) {
      this.pending.delete(g);
      p.resolve(undefined);
    }
  }

  dispose(): void {
    this.cancel();
    this.worker?.terminate();
  }
}
