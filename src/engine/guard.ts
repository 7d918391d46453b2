import type { HandlerContext, Handlers, MethodMap } from '../protocol/rpc';
import { RpcError } from '../protocol/wire';
import { ModelError, oneLine } from '../model/errors';
import type { LogLevel } from './handlers/types';

/**
 * What the host is sent: the first non-empty line only (what follows in a bug's message is often a stack or a dump,
 * which goes to the log), on one line and bounded.
 */
function messageLine(message: string): string {
  return oneLine(message.split(/\r?\n/).find((l) => l.trim()) ?? '', 500) || 'unknown error';
}

/** Maps anything a handler throws to an RpcError with a one-line message. */
export function toRpcError(e: unknown, method: string, log: (level: LogLevel, message: string) => void): RpcError {
  if (e instanceof RpcError) return new RpcError(e.code, messageLine(e.message));
  if (e instanceof ModelError) return new RpcError('failed', messageLine(e.message));
  // Not an expected failure: keep the stack in the log for bug reports, send the host one line.
  const message = e instanceof Error ? e.message : String(e);
  log('error', `${method} failed: ${e instanceof Error && e.stack ? e.stack : message}`);
  return new RpcError('failed', `${method} failed: ${messageLine(message)}`);
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
