import type { Model } from '../model/graph';
import type { LoadOptions, RuntimeSession } from './session';
import { settingsGeneration } from './settings';

/**
 * Loaded sessions keyed by the opened Model (one parse per open: the engine's model revision, or the CLI's model) and
 * provider order, so re-running a model is cheap; an edited file is a new revision, hence a new Model and session.
 * Bounded (LRU): sessions hold the whole model in native memory.
 */

export type Loader = (model: Model, opts: LoadOptions) => Promise<RuntimeSession>;

interface Entry {
  model: Model;
  session: Promise<RuntimeSession>;
}

export class SessionCache {
  /** Map order is recency order; keys are `${model id}\0${options}`. */
  private readonly entries = new Map<string, Entry>();
  private readonly ids = new WeakMap<Model, number>();
  private nextId = 1;

  constructor(
    private readonly load: Loader,
    readonly capacity = 4,
  ) {}

  /** The cached session for this model and options, or a fresh load. `cached` says which. */
  async get(model: Model, opts: LoadOptions = {}): Promise<{ session: RuntimeSession; cached: boolean }> {
    let id = this.ids.get(model);
    if (id === undefined) this.ids.set(model, (id = this.nextId++));
    const key = `${id}\u0000${JSON.stringify([opts.providers ?? null, opts.placement ?? null, settingsGeneration()])}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // re-insert: Map order is our recency order
      this.entries.set(key, hit);
      return { session: await hit.session, cached: true };
    }
    const entry: Entry = { model, session: this.load(model, opts) };
    this.entries.set(key, entry);
    entry.session.catch(() => this.entries.delete(key)); // failed loads are not cached
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      void old.session.then((x) => x.dispose(), () => undefined);
    }
    return { session: await entry.session, cached: false };
  }

  /** Disposes every session of `model` (it was closed). Removal is synchronous, so no get() can interleave. */
  async release(model: Model): Promise<void> {
    const drops: Promise<unknown>[] = [];
    for (const [k, e] of this.entries) {
      if (e.model === model) {
        this.entries.delete(k);
        drops.push(e.session.then((x) => x.dispose(), () => undefined));
      }
    }
    await Promise.all(drops);
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
