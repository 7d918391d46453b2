// Layout Web Worker entry (bundled to dist/webview/layout-worker.js). One job at a time; a newer job or a
// 'cancel' stops the running one at its next group boundary, so expanding quickly never queues stale work.
import type { LayoutJob } from './layout-core';
import { LayoutEngine } from './layout-core';

type In = { type: 'layout'; job: LayoutJob } | { type: 'cancel'; gen: number };

const engine = new LayoutEngine();
let latest = 0;
const scope = self as unknown as { postMessage(m: unknown): void; onmessage: ((e: MessageEvent<In>) => void) | null };

// A MessageChannel hop lets queued messages (a cancel, a newer job) run before we continue.
const channel = new MessageChannel();
const waiters: (() => void)[] = [];
channel.port1.onmessage = () => waiters.shift()?.();
const yieldNow = () => new Promise<void>((r) => { waiters.push(r); channel.port2.postMessage(0); });

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    latest = Math.max(latest, msg.gen);
    return;
  }
  const gen = msg.job.gen;
  latest = Math.max(latest, gen);
  const started = performance.now();
  void engine.run(msg.job, () => latest !== gen, yieldNow).then(
    (groups) => scope.postMessage(groups ? { type: 'done', gen, groups, ms: performance.now() - started } : { type: 'cancelled', gen }),
    (err: unknown) => scope.postMessage({ type: 'error', gen, message: err instanceof Error ? err.message : String(err) }),
  );
};
