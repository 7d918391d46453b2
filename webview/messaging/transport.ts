import type { Transport } from '../../src/protocol/rpc';
import type { WireMessage } from '../../src/protocol/wire';
import { vscodeApi } from './vscode-api';

/**
 * RpcEndpoint transport over the webview's postMessage. Anything arriving on `window` goes to the endpoint,
 * which checks the envelope and drops what is malformed, so stray messages cannot reach a handler.
 */
export function vscodeTransport(target: Window = window): Transport {
  const api = vscodeApi();
  return {
    send: (msg: WireMessage) => api.postMessage(msg),
    listen(handler) {
      const onMessage = (e: MessageEvent) => handler(e.data);
      target.addEventListener('message', onMessage);
      return () => target.removeEventListener('message', onMessage);
    },
  };
}
