import type { Transport } from '../protocol/rpc';
import type { WireMessage } from '../protocol/wire';

/** The engine's side of Node IPC (process.send / 'message'); the host side is the ChildProcess in client.ts. */
export function ipcTransport(proc: NodeJS.Process = process): Transport {
  if (!proc.send) throw new Error('the engine must be started with an IPC channel (child_process.fork)');
  return {
    send: (msg: WireMessage) => {
      // A closed channel means the host is gone; 'disconnect' handles shutdown, so drop the message quietly.
      if (proc.connected) proc.send!(msg, undefined, undefined, () => {});
    },
    listen: (handler) => {
      proc.on('message', handler);
      return () => proc.off('message', handler);
    },
  };
}
