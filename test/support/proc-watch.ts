/**
 * What a test can learn about a child process from /proc (Linux): CPU time used, peak resident memory, which
 * shared libraries it has loaded. Used to check that a cancelled job really stopped working, not just that the
 * caller stopped waiting.
 */
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU time of `pid` in ms (all threads). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
}

/** A field of /proc/<pid>/status in bytes (VmHWM = peak RSS, VmRSS = current). */
export function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** True when a mapped file of `pid` matches `re` (e.g. /libonnxruntime/). */
export function hasMapping(pid: number, re: RegExp): boolean {
  return readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').some((l) => re.test(l));
}

/**
 * Milliseconds from `since` until `pid` spent less than `busyFraction` of one core over a `windowMs` window, or
 * Infinity when it stayed busy for `maxMs`. Clock ticks are 10 ms, so windows under ~100 ms are noisy.
 */
export async function msUntilIdle(pid: number, since: number, opts: { windowMs?: number; busyFraction?: number; maxMs?: number } = {}): Promise<number> {
  const windowMs = opts.windowMs ?? 100;
  const busy = opts.busyFraction ?? 0.25;
  const maxMs = opts.maxMs ?? 10_000;
  for (;;) {
    const t0 = performance.now();
    const c0 = cpuMs(pid);
    await new Promise((r) => setTimeout(r, windowMs));
    const used = cpuMs(pid) - c0;
    const elapsed = performance.now() - t0;
    if (used <= busy * elapsed) return Math.max(0, t0 - since);
    if (performance.now() - since > maxMs) return Infinity;
  }
}

/** Bytes this process has read through read() and the like so far (/proc/self/io rchar): what a reader really read. */
export function bytesReadSoFar(): number {
  const m = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!m) throw new Error('no rchar in /proc/self/io');
  return Number(m[1]);
}
