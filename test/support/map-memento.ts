import type { MementoLike } from '../../src/host/state-store';

/** VS Code's Memento contract over a Map: values are stored as JSON, as VS Code does. */
export class MapMemento implements MementoLike {
  readonly map = new Map<string, unknown>();
  get(key: string): unknown {
    return this.map.get(key);
  }
  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, JSON.parse(JSON.stringify(value)));
    return Promise.resolve();
  }
}
