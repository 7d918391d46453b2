// vscode-free: typed, validated storage over a Memento (globalState / workspaceState). What was stored by an older
// version, by hand, or by a bug is checked on every read: a wrong-typed or corrupt value is dropped with a warning
// and the default is used, so remembered state can never crash the extension.
import type { Check } from '../protocol/validate';
import { str } from '../protocol/validate';
import { runParamsCheck, type RunParams } from '../protocol/run';

/** The part of vscode.Memento the store uses (vscode.Memento satisfies it). */
export interface MementoLike {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export interface KeySchema<T> {
  /** Bumped when the stored shape changes; values stored under another version are discarded. */
  version: number;
  check: Check;
  fallback: T;
}

/** Stored form: the value with the version that wrote it. */
interface Envelope {
  v: number;
  data: unknown;
}

/** A serialised value larger than this is refused: a Memento is read whole at startup. */
const MAX_VALUE_CHARS = 64 * 1024;
const PREFIX = 'modelInspector.';

export class StateStore<S extends Record<string, unknown>> {
  constructor(
    private readonly memento: MementoLike,
    private readonly schema: { [K in keyof S]: KeySchema<S[K]> },
    private readonly warn: (message: string) => void,
  ) {}

  /** The stored value under `key` (plus `/sub` for per-item entries, e.g. a model path), or the key's fallback. */
  get<K extends keyof S & string>(key: K, sub?: string): S[K] {
    const { version, check, fallback } = this.schema[key];
    const name = storageKey(key, sub);
    let raw: unknown;
    try {
      raw = this.memento.get(name);
    } catch (e) {
      this.warn(`stored ${name} could not be read (${e instanceof Error ? e.message : String(e)}); using the default`);
      return fallback;
    }
    if (raw === undefined) return fallback;
    const problem = envelopeProblem(raw, version) ?? check((raw as Envelope).data, name);
    if (problem) {
      this.warn(`stored ${name} was discarded: ${problem.slice(0, 200)}`);
      void Promise.resolve(this.memento.update(name, undefined)).catch(() => undefined);
      return fallback;
    }
    return (raw as Envelope).data as S[K];
  }

  /** Validates and stores; an invalid or oversized value is refused (the caller's bug), never written. */
  async set<K extends keyof S & string>(key: K, value: S[K], sub?: string): Promise<void> {
    const { version, check } = this.schema[key];
    const name = storageKey(key, sub);
    const problem = check(value, name);
    if (problem) throw new Error(`cannot store ${name}: ${problem}`);
    const size = JSON.stringify(value)?.length ?? 0;
    if (size > MAX_VALUE_CHARS) throw new Error(`cannot store ${name}: ${size} characters is over the ${MAX_VALUE_CHARS} limit`);
    await this.memento.update(name, { v: version, data: value } satisfies Envelope);
  }

  async delete<K extends keyof S & string>(key: K, sub?: string): Promise<void> {
    await this.memento.update(storageKey(key, sub), undefined);
  }
}

function storageKey(key: string, sub: string | undefined): string {
  return sub === undefined ? `${PREFIX}${key}` : `${PREFIX}${key}/${sub}`;
}

function envelopeProblem(raw: unknown, version: number): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a stored envelope';
  const env = raw as Partial<Envelope>;
  if (!Object.prototype.hasOwnProperty.call(env, 'v') || !Object.prototype.hasOwnProperty.call(env, 'data')) return 'not a stored envelope';
  if (env.v !== version) return `written by format version ${String(env.v).slice(0, 20)}, this version reads ${version}`;
  return undefined;
}

/** What the host remembers. Per-model entries use the model's path as `sub`. */
export type HostState = {
  /**
   * The Run tab's last inputs for a model (same validator as the wire: a stored value is as untrusted as a message);
   * null when none are remembered (or what was stored was discarded).
   */
  runInputs: RunParams | null;
  /** A language model's tokenizer.json the user picked (its path); null: the model's own tokenizer. */
  tokenizer: string | null;
};

export const hostStateSchema: { [K in keyof HostState]: KeySchema<HostState[K]> } = {
  runInputs: { version: 1, check: runParamsCheck, fallback: null },
  tokenizer: { version: 1, check: (x, p) => (x === null ? undefined : str(4096)(x, p)), fallback: null },
};
