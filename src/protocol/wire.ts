// The envelope every channel uses (host<->engine over IPC, host<->webview over postMessage).
// Payloads are typed per channel by method maps; the envelope itself is checked by isWireMessage.

export type RpcErrorCode =
  | 'cancelled'
  | 'timeout'
  | 'disposed'
  | 'bad-request'
  | 'unknown-method'
  | 'failed'
  | 'crashed'
  | 'untrusted';

export interface RpcErrorPayload {
  code: RpcErrorCode;
  message: string;
}

export interface ProgressPayload {
  /** 0..1 when known. */
  fraction?: number;
  message?: string;
}

export type WireMessage =
  | { t: 'ready'; info: unknown }
  | { t: 'req'; id: number; method: string; params: unknown }
  | { t: 'res'; id: number; result: unknown }
  | { t: 'err'; id: number; error: RpcErrorPayload }
  | { t: 'cancel'; id: number }
  | { t: 'progress'; id: number; progress: ProgressPayload }
  | { t: 'event'; name: string; payload: unknown };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Structural check of the envelope; returns a problem sentence or undefined when it is well-formed. */
export function wireProblem(x: unknown): string | undefined {
  if (!isObj(x)) return 'message is not an object';
  switch (x.t) {
    case 'ready':
      return undefined;
    case 'req':
      if (!isId(x.id)) return 'request without a valid id';
      if (typeof x.method !== 'string' || !x.method) return 'request without a method';
      return undefined;
    case 'res':
      return isId(x.id) ? undefined : 'response without a valid id';
    case 'err':
      if (!isId(x.id)) return 'error without a valid id';
      if (!isObj(x.error) || typeof x.error.message !== 'string' || typeof x.error.code !== 'string') return 'malformed error payload';
      return undefined;
    case 'cancel':
      return isId(x.id) ? undefined : 'cancel without a valid id';
    case 'progress':
      return isId(x.id) && isObj(x.progress) ? undefined : 'malformed progress';
    case 'event':
      return typeof x.name === 'string' && x.name ? undefined : 'event without a name';
    default:
      return `unknown message type ${JSON.stringify(String(x.t)).slice(0, 40)}`;
  }
}

export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
  toPayload(): RpcErrorPayload {
    return { code: this.code, message: this.message };
  }
  static from(e: unknown): RpcError {
    if (e instanceof RpcError) return e;
    const message = e instanceof Error ? e.message : String(e);
    return new RpcError('failed', message);
  }
}
