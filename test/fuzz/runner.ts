import { fork, type ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import { cpuMs } from '../support/proc-watch';

/** What one fuzz case did to the process under test. */
export type CaseResult =
  | { kind: 'ok' }
  | { kind: 'error'; message: string }
  | { kind: 'bad-error'; message: string; why: string }
  | { kind: 'hang'; ms: number; cpuMs: number }
  | { kind: 'crash'; how: string }
  | { kind: 'memory'; rssMB: number };

export interface FuzzCase {
  file: string;
  what: string;
  /** The case must be refused with a message matching this (by the reader and by the runtime's gate alike). */
  expect?: RegExp;
}

export interface RunnerOptions {
  /**
   * A case whose worker uses more CPU time than this is a hang. CPU time, not wall time: on a loaded machine a case
   * may wait seconds for a core without doing more work.
   */
  hangMs: number;
  /** A case that has not answered after this long in wall time is a hang even when idle (stuck on a promise that
   *  never settles). A backstop far above any loaded machine's delay; default 60 s. */
  stallMs?: number;
  /** RSS growth over the worker's baseline that counts as an absurd allocation. */
  maxRssGrowthMB: number;
}

interface Reply {
  id: number;
  ok: boolean;
  message?: string;
  /** What the onnxruntime gate said about an .onnx case: null when it let the file through. */
  gate?: string | null;
  rss: number;
}

/**
 * Feeds cases one by one to a worker process; a crash or hang is recorded and a fresh worker started, so one
 * bad case never hides the others.
 */
export class FuzzRunner {
  private child: ChildProcess | undefined;
  private baselineRss = 0;
  peakRssMB = 0;
  restarts = 0;

  constructor(private readonly opts: RunnerOptions) {}

  /** The worker process's id while one is started. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async start(): Promise<ChildProcess> {
    const child = fork(join(__dirname, 'worker.ts'), [], {
      execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.resume();
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m?.ready) {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code, sig) => reject(new Error(`fuzz worker exited during start (${code ?? sig})`)));
    });
    this.baselineRss = 0;
    return child;
  }

  async run(c: FuzzCase, id: number): Promise<CaseResult> {
    if (!this.child) this.child = await this.start();
    const child = this.child;
    const t0 = Date.now();
    const cpu0 = cpuMs(child.pid!);
    const stallMs = this.opts.stallMs ?? 60_000;
    const result = await new Promise<CaseResult>((resolve) => {
      const timer = setInterval(() => {
        let used: number;
        try {
          used = cpuMs(child.pid!) - cpu0;
        } catch {
          return; // the process is gone: its exit event reports the crash
        }
        const ms = Date.now() - t0;
        if (used > this.opts.hangMs || ms > stallMs) finish({ kind: 'hang', ms, cpuMs: used });
      }, 50);
      const onMsg = (m: Reply) => {
        if (m.id !== id) return;
        const rssMB = m.rss / 2 ** 20;
        this.peakRssMB = Math.max(this.peakRssMB, rssMB);
        if (!this.baselineRss) this.baselineRss = rssMB;
        if (rssMB - this.baselineRss > this.opts.maxRssGrowthMB) return finish({ kind: 'memory', rssMB });
        if (c.expect) return finish(checkRefusal(m, c));
        if (m.ok) return finish({ kind: 'ok' });
        finish(checkMessage(m.message ?? '', c.file));
      };
      const onExit = (code: number | null, sig: string | null) => finish({ kind: 'crash', how: sig ?? `exit code ${code}` });
      const finish = (r: CaseResult) => {
        clearInterval(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(r);
      };
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send({ id, file: c.file });
    });
    if (result.kind === 'hang' || result.kind === 'crash' || result.kind === 'memory') {
      child.kill('SIGKILL');
      this.child = undefined;
      this.restarts++;
    }
    return result;
  }

  dispose(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

/** A case that must be refused: the open and, for ONNX, the runtime's gate both refuse it with the expected message. */
function checkRefusal(m: Reply, c: FuzzCase): CaseResult {
  if (m.ok) return { kind: 'bad-error', message: '', why: `opened, but must be refused (${c.expect})` };
  const checked = checkMessage(m.message ?? '', c.file);
  if (checked.kind !== 'error') return checked;
  if (!c.expect!.test(checked.message)) return { kind: 'bad-error', message: checked.message, why: `not the refusal ${c.expect}` };
  if (m.gate !== undefined && (m.gate === null || !c.expect!.test(m.gate))) {
    return { kind: 'bad-error', message: String(m.gate), why: `the onnxruntime gate did not refuse it like the reader` };
  }
  return checked;
}

/** A user-facing error is one line that names the file (or a file beside it) and says the problem. */
export function checkMessage(message: string, file: string): CaseResult {
  if (!message.trim()) return { kind: 'bad-error', message, why: 'empty message' };
  if (message.includes('\n')) return { kind: 'bad-error', message, why: 'more than one line' };
  if (/\bat .+:\d+:\d+\)?$/m.test(message) || /TypeError|RangeError|Cannot read propert/.test(message)) {
    return { kind: 'bad-error', message, why: 'internal error leaked to the user' };
  }
  const name = basename(file);
  if (!message.includes(name)) return { kind: 'bad-error', message, why: `does not name ${name}` };
  return { kind: 'error', message };
}
