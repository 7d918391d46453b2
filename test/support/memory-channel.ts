import type { Transport } from '../../src/protocol/rpc';
import type { WireMessage } from '../../src/protocol/wire';

/**
 * Two RPC transports joined in memory. Delivery is asynchronous and every message is cloned, like postMessage and
 * Node IPC, so tests see the same ordering and no shared objects.
 */
export function memoryChannel(): [Transport, Transport] {
  const listeners: (((m: unknown) => void) | undefined)[] = [undefined, undefined];
  const mk = (self: 0 | 1): Transport => ({
    send: (m: WireMessage) => setImmediate(() => listeners[1 - self]?.(structuredClone(m))),
    listen: (h) => {
      listeners[self] = h;
      return () => (listeners[self] = undefined);
    },
  });
  return [mk(0), mk(1)];
}
