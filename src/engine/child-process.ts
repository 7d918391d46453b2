import type { ChildProcess } from 'node:child_process';
import type { Transport } from '../protocol/rpc';
import type { WireMessage } from '../protocol/wire';

// Process plumbing for the engine client: liveness, killing, the IPC transport and line-wise log forwarding.

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Closes the channel (pending calls fail with `reason`) and kills the process: at once when `now` (it is stuck). */
export function killProcess(child: ChildProcess, endpoint: { dispose(reason: string): void }, reason: string, now: boolean): void {
  endpoint.dispose(reason);
  if (!isAlive(child)) return;
  safely(() => child.disconnect());
  safely(() => child.kill(now ? 'SIGKILL' : 'SIGTERM'));
  // A native call that ignores SIGTERM must not outlive the host's intent.
  const t = setTimeout(() => safely(() => child.kill('SIGKILL')), 2000);
  t.unref();
  child.once('exit', () => clearTimeout(t));
}

export function childTransport(child: ChildProcess): Transport {
  return {
    send: (msg: WireMessage) => {
      if (child.connected) child.send(msg, undefined, undefined, () => {});
    },
    listen: (handler) => {
      child.on('message', handler);
      return () => child.off('message', handler);
    },
  };
}

export function forwardLines(stream: NodeJS.ReadableStream | null, emit: (line: string) => void): void {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (line) emit(line);
    }
    if (buf.length > 64 * 1024) buf = buf.slice(-64 * 1024);
  });
  stream.on('end', () => buf.trim() && emit(buf.trim()));
}

export function safely(f: () => void): void {
  try {
    f();
  } catch {
    // Listener and kill failures must never reach the host's stack.
  }
}
