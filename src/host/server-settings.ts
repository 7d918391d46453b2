// vscode-free: `modelInspector.servers` as the engine takes it, and the credentials kept for server origins.
import { isAbsolute, join, normalize } from 'node:path';
import { bindingCheck, type ServerBinding, type ServerSecret } from '../protocol/settings';

/** SecretStorage key of one origin's credential. */
export const secretKey = (origin: string) => `modelInspector.server:${origin}`;

/**
 * The setting's entries with absolute file paths (relative ones are read against the first workspace folder) and
 * valid bindings; a bad entry is left out with a warning naming it, so one typo does not silence the others.
 */
export function resolveServers(raw: unknown, folder: string | undefined, warn: (m: string) => void): Record<string, ServerBinding> {
  const out: Record<string, ServerBinding> = {};
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    warn('modelInspector.servers must be an object: { "<model file>": { "url": ..., "model": ... } }');
    return out;
  }
  for (const [file, binding] of Object.entries(raw)) {
    const problem = bindingCheck(binding, `modelInspector.servers["${file}"]`);
    if (problem) {
      warn(`${problem}: entry ignored`);
      continue;
    }
    if (!isAbsolute(file) && !folder) {
      warn(`modelInspector.servers["${file}"] is a relative path and no folder is open: entry ignored`);
      continue;
    }
    out[normalize(isAbsolute(file) ? file : join(folder!, file))] = binding as ServerBinding;
  }
  return out;
}

export function originOf(url: string): string {
  return new URL(url).origin;
}

/** A stored credential, or undefined when what is stored is not one (the user is then asked again). */
export function parseSecret(stored: string | undefined): ServerSecret | undefined {
  if (!stored) return undefined;
  try {
    const j = JSON.parse(stored) as Partial<ServerSecret>;
    return typeof j.header === 'string' && typeof j.value === 'string' && j.header && j.value ? { header: j.header, value: j.value } : undefined;
  } catch {
    return undefined;
  }
}

/** `NAME` or `NAME:VERSION` as typed in the input box. */
export function parseModelRef(text: string): { model: string; version?: string } | undefined {
  const m = /^\s*([\w.@+-]+)(?::([\w.@+-]+))?\s*$/.exec(text);
  return m ? { model: m[1], ...(m[2] ? { version: m[2] } : {}) } : undefined;
}

/**
 * Credentials by origin, in memory: filled from SecretStorage by the host (src/host/servers.ts) and read when the
 * engine's settings are built. Only the origins of configured servers are sent.
 */
export class SecretCache {
  private readonly byOrigin = new Map<string, ServerSecret>();

  set(origin: string, secret: ServerSecret | undefined): boolean {
    const before = JSON.stringify(this.byOrigin.get(origin));
    if (secret) this.byOrigin.set(origin, secret);
    else this.byOrigin.delete(origin);
    return before !== JSON.stringify(secret);
  }

  forServers(servers: Record<string, ServerBinding>): Record<string, ServerSecret> {
    const out: Record<string, ServerSecret> = {};
    for (const b of Object.values(servers)) {
      const origin = originOf(b.url);
      const s = this.byOrigin.get(origin);
      if (s) out[origin] = s;
    }
    return out;
  }
}
