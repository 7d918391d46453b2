import { statSync } from 'node:fs';
import { ModelError } from '../model/errors';
import type { LoadOptions, RuntimeSession } from './session';

/**
 * Loaded sessions keyed by file revision (path + mtime + size) and provider order, so re-running a model is cheap and
 * an edited file is reloaded. Bounded (LRU): sessions hold the whole model in native memory.
 */

export type Loader = (path: string, opts: LoadOptions) => Promise<RuntimeSession>;

interface Entry {
  path: string;
  session: Promise<RuntimeSession>;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly load: Loader,
    readonly capacity = 4,
  ) {}

  /** The cached session for this revision, or a fresh load. `cached` says which. */
  async get(path: string, opts: LoadOptions = {}): Promise<{ session: RuntimeSession; cached: boolean }> {
    let s;
    try {
      // Synchronous: one stat, where the promise API's thread-pool hop costs ~0.1 ms of wall time on every run (and no
    // release() can slip in between the stat and the cache update).
      s = statSync(path);
    } catch (e) {
      throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const key = JSON.stringify([path, s.mtimeMs, s.size, opts.providers ?? null, opts.placement ?? null]);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: Map order is our recency order
      this.entries.set(key, hit);
      return { session: await hit.session, cached: true };
    }
    // A new revision of the same file replaces the old ones (without counting as a close).
    void this.drop(path, (k) => k !== key);
    const entry: Entry = { path, session: this.load(path, opts) };
    this.entries.set(key, entry);
    entry.session.catch(() => this.entries.delete(key)); // failed loads are not cached
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      void old.session.then((x) => x.dispose(), () => undefined);
    }
    return { session: await entry.session, cached: false };
  }

  /** Disposes every session of `path` (the model was closed or changed). */
  async release(path: string): Promise<void> {
    await this.drop(path, () => true);
  }

  /** Removes the entries at once (synchronously, so no get() can interleave) and resolves when they are disposed. */
  private drop(path: string, which: (key: string) => boolean): Promise<unknown> {
    const drops: Promise<unknown>[] = [];
    for (const [k, e] of this.entries) {
      if (e.path === path && which(k)) {
        this.entries.delete(k);
        drops.push(e.session.then((x) => x.dispose(), () => undefined));
      }
    }
    return Promise.all(drops);
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.session.then((x) => x.dispose(), () => undefined)));
  }

  get size(): number {
    return this.entries.size;
  }
}
