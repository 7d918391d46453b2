// vscode-free: the host end of one webview's RPC channel, unit-tested in Node.
import { RpcEndpoint, type Handlers, type Transport } from '../protocol/rpc';
import type { WireMessage } from '../protocol/wire';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../protocol/webview';
import { webviewEventValidators, webviewValidators } from '../protocol/webview';

export type WebviewRpc = RpcEndpoint<HostMethods, WebviewMethods, WebviewEvents, HostEvents>;
export type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

const isReady = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as WireMessage).t === 'ready';

/**
 * A webview page can reload (it is rebuilt when a hidden panel is shown again) and then starts its request ids
 * at 1 again. So every `ready` gets a fresh endpoint: the old one is disposed (its running handlers abort and their
 * late answers are dropped) and cannot answer a new page's request by id collision. `onReady` then sends `init`.
 * The webview is untrusted: every request and event must pass the protocol validators.
 */
export class WebviewChannel {
  private rpc: WebviewRpc | undefined;
  private deliver: ((m: unknown) => void) | undefined;
  private readonly unlisten: () => void;
  private disposed = false;

  constructor(
    private readonly transport: Transport,
    private readonly handlers: Partial<Handlers<WebviewMethods>>,
    private readonly onReady: (rpc: WebviewRpc) => void,
    private readonly log: LogFn,
  ) {
    this.unlisten = transport.listen((m) => this.receive(m));
  }

  /** The endpoint of the current page, once it has said ready. */
  get current(): WebviewRpc | undefined {
    return this.rpc;
  }

  emit<E extends keyof HostEvents & string>(name: E, payload: HostEvents[E]): void {
    this.rpc?.emit(name, payload);
  }

  dispose(reason = 'the view was closed'): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unlisten();
    this.rpc?.dispose(reason);
    this.rpc = undefined;
  }

  private receive(m: unknown): void {
    if (this.disposed) return;
    if (isReady(m)) this.replaceEndpoint();
    if (!this.deliver) {
      this.log('warn', 'webview message before its ready handshake was dropped');
      return;
    }
    this.deliver(m);
    if (isReady(m) && this.rpc) this.onReady(this.rpc);
  }

  private replaceEndpoint(): void {
    this.rpc?.dispose('the view was reloaded');
    const inner: Transport = {
      send: (msg) => this.transport.send(msg),
      listen: (h) => {
        this.deliver = h;
        return () => {
          if (this.deliver === h) this.deliver = undefined;
        };
      },
    };
    this.rpc = new RpcEndpoint<HostMethods, WebviewMethods, WebviewEvents, HostEvents>(inner, this.handlers, {
      validators: webviewValidators,
      eventValidators: webviewEventValidators,
      requireValidators: true,
      log: (level, message) => this.log(level, `webview: ${message}`),
    });
  }
}
