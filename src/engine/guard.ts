import type { HandlerContext, Handlers, MethodMap } from '../protocol/rpc';
import { RpcError } from '../protocol/wire';
import { ModelError } from '../model/errors';
import type { LogLevel } from './handlers/types';

/** First line of a message, trimmed to a sane length: what the user sees must be one readable line. */
export function oneLine(message: string, max = 500): string {
  const line = message.split(/\r?\n/).find((l) => l.trim()) ?? 'unknown error';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line.trim();
}

/** Maps anything a handler throws to an RpcError with a one-line message. */
export function toRpcError(e: unknown, method: string, log: (level: LogLevel, message: string) => void): RpcError {
  if (e instanceof RpcError) return new RpcError(e.code, oneLine(e.message));
  if (e instanceof ModelError) return new RpcError('failed', oneLine(e.message));
  // Not an expected failure: keep the stack in the log for bug reports, send the host one line.
  const message = e instanceof Error ? e.message : String(e);
  log('error', `${method} failed: ${e instanceof Error && e.stack ? e.stack : message}`);
  return new RpcError('failed', `${method} failed: ${oneLine(message)}`);
}

/** Wraps every handler so that sync throws and rejections become one-line RpcErrors and are never fatal. */
export function guardHandlers<M extends MethodMap>(handlers: Partial<Handlers<M>>, log: (level: LogLevel, message: string) => void): Partial<Handlers<M>> {
  const out: Record<string, (p: unknown, c: HandlerContext) => Promise<unknown>> = {};
  for (const [method, h] of Object.entries(handlers) as [string, (p: unknown, c: HandlerContext) => unknown][]) {
    out[method] = async (params, ctx) => {
      try {
        return await h(params, ctx);
      } catch (e) {
        throw toRpcError(e, method, log);
      }
    };
  }
  return out as Partial<Handlers<M>>;
}
