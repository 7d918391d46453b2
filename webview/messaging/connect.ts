import { RpcEndpoint } from '../../src/protocol/rpc';
import type { HostEvents } from '../../src/protocol/webview';
import type { HostRpc } from '../shell/tab';
import { vscodeTransport } from './transport';

export interface Connection {
  rpc: HostRpc;
  /** Resolves with the host's `init` answer to our ready handshake. */
  init: Promise<HostEvents['init']>;
}

/**
 * Opens the host channel and does the handshake: subscribe to `init` first, then say ready, so the answer
 * cannot slip past us. Requests default to a generous timeout: a stuck host must not leave a spinner forever.
 */
export function connectToHost(): Connection {
  const rpc: HostRpc = new RpcEndpoint(vscodeTransport(), {}, {
    defaultTimeoutMs: 120_000,
    log: (level, message) => console[level](`[model-inspector] ${message}`),
  });
  const init = new Promise<HostEvents['init']>((resolve) => {
    const off = rpc.on('init', (info) => {
      off();
      resolve(info);
    });
  });
  rpc.sendReady({ protocol: 1 });
  return { rpc, init };
}
