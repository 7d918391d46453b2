import type { ServerSecret } from '../../../protocol/settings';

// HTTP for the protocol client, over Node's fetch (undici, keep-alive): TLS always verified (Node's defaults, no
// switch to turn it off), a timeout per request that also covers reading the body, the caller's AbortSignal aborting
// the request itself, a bound on the response size, only idempotent GETs retried, and redirects followed within the
// server's origin only, so credentials are never sent anywhere else.

/** A failure talking to the server, in words the user can act on (the session prefixes the model file). */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

export interface HttpTarget {
  /** The server's base URL as configured (may carry a path prefix, e.g. behind an ingress). */
  readonly base: URL;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** Sent only to `base`'s origin. */
  readonly secret?: ServerSecret;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The request's path, for messages. */
  what: string;
}

export interface RequestOptions {
  body?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 3;
/** Waits before the retries of a GET that met a network error or a 502/503/504. */
const RETRY_DELAYS_MS = [100, 400];

export function abortError(): Error {
  return Object.assign(new Error('cancelled'), { name: 'AbortError' });
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The URL of a protocol path (`/v2/...`) under the server's base URL, keeping a base path prefix. */
export function urlOf(base: URL, path: string): URL {
  const u = new URL(base.href);
  u.pathname = base.pathname.replace(/\/+$/, '') + path;
  return u;
}

/** One request, with GETs retried on network errors and gateway answers (POSTs never: an inference is not idempotent). */
export async function request(t: HttpTarget, method: 'GET' | 'POST', path: string, o: RequestOptions = {}): Promise<HttpAnswer> {
  const attempts = method === 'GET' ? RETRY_DELAYS_MS.length + 1 : 1;
  for (let i = 0; ; i++) {
    const last = i === attempts - 1;
    try {
      const a = await once(t, method, path, o);
      if (last || ![502, 503, 504].includes(a.status)) return a;
    } catch (e) {
      if (last || !(e instanceof NetworkError)) throw e instanceof NetworkError ? new ServerError(e.message) : e;
    }
    await sleep(RETRY_DELAYS_MS[i], o.signal);
  }
}

/** A connection-level failure (refused, reset, DNS): the only errors worth a retry. */
class NetworkError extends Error {}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One signal for the caller's abort and this request's timeout, undone when the request ends (AbortSignal.any would
 * leave a dependent on the caller's long-lived signal per request, a cost that grows over thousands of batches).
 */
function requestSignal(caller: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  timer.unref?.();
  const onAbort = () => ac.abort();
  if (caller?.aborted) ac.abort();
  else caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

async function once(t: HttpTarget, method: 'GET' | 'POST', path: string, o: RequestOptions): Promise<HttpAnswer> {
  const { signal, timedOut, done } = requestSignal(o.signal, t.timeoutMs);
  let url = urlOf(t.base, path);
  const what = `${method} ${url.pathname}`;
  try {
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { accept: 'application/json, application/octet-stream', ...o.headers };
      if (t.secret && url.origin === t.base.origin) {
        if (url.protocol !== 'https:' && !LOOPBACK.test(url.hostname)) {
          throw new ServerError(`will not send the credentials for ${t.base.origin} over plain HTTP: use an https URL`);
        }
        headers[t.secret.header] = t.secret.value;
      }
      const res = await fetch(url, { method, headers, body: o.body as BodyInit | undefined, redirect: 'manual', signal });
      if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
        await res.body?.cancel();
        const next = new URL(res.headers.get('location')!, url);
        if (next.origin !== t.base.origin) {
          throw new ServerError(`${what} was redirected to another origin (${next.origin}); not followed, so that nothing meant for ${t.base.origin} goes elsewhere: set the server URL to the address that answers`, res.status);
        }
        if (hop >= MAX_REDIRECTS) throw new ServerError(`${what} was redirected more than ${MAX_REDIRECTS} times`, res.status);
        url = next;
        continue;
      }
      return { status: res.status, headers: res.headers, body: await boundedBody(res, t.maxResponseBytes, what), what };
    }
  } catch (e) {
    if (o.signal?.aborted) throw abortError();
    if (timedOut()) throw new ServerError(`${what} got no complete answer within ${t.timeoutMs} ms (the server's timeout setting)`);
    if (e instanceof ServerError) throw e;
    throw new NetworkError(describeNetworkError(e, t.base.origin));
  } finally {
    done();
  }
}

/** The body, refused once it passes `max` bytes (by its Content-Length before reading, or while streaming). */
async function boundedBody(res: Response, max: number, what: string): Promise<Uint8Array> {
  const tooBig = (n: string) => new ServerError(`the answer to ${what} is ${n}, more than the ${formatBytes(max)} allowed (the server's maxResponseMB setting)`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel();
    throw tooBig(formatBytes(declared));
  }
  if (!res.body) return new Uint8Array(0);
  // A declared length within the bound is all that can come (undici holds the body to it): read it in one go.
  if (res.headers.has('content-length') && Number.isFinite(declared)) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw tooBig(`over ${formatBytes(max)}`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB` : `${n} bytes`;
}

/** fetch's "fetch failed" with the cause users need: refused, not found, reset, or an untrusted certificate. */
function describeNetworkError(e: unknown, origin: string): string {
  let code: string | undefined;
  let message = e instanceof Error ? e.message : String(e);
  for (let c: unknown = e; c && !code; c = (c as { cause?: unknown }).cause) {
    code = (c as { code?: string }).code;
    if (c instanceof Error && c !== e) message = c.message;
    const inner = (c as { errors?: unknown[] }).errors; // happy-eyeballs: one error per address tried
    if (!code && Array.isArray(inner)) code = inner.map((x) => (x as { code?: string }).code).find(Boolean);
  }
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
    return `${origin}'s TLS certificate is not trusted (${code}): certificates are always verified; add its CA to the system's trust store or NODE_EXTRA_CA_CERTS`;
  }
  if (code === 'ECONNREFUSED') return `cannot reach ${origin}: connection refused (is the server running?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach ${origin}: the host name does not resolve (${code})`;
  return `cannot reach ${origin} (${code ?? message})`;
}
