/**
 * Cooperative pacing for long synchronous loops in readers: every `every` items it looks at the clock and, once
 * `sliceMs` have passed since the last pause, yields to the event loop (so the engine can read a cancel message)
 * and then throws if the signal fired. Checking the clock only every few hundred items keeps the cost negligible.
 */
export class Pacer {
  private count = 0;
  private last = performance.now();

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly sliceMs = 25,
    private readonly every = 256,
  ) {}

  /** Call once per item; await only when it returns a promise (the common case stays synchronous). */
  tick(): Promise<void> | undefined {
    if (++this.count % this.every !== 0) return undefined;
    if (performance.now() - this.last < this.sliceMs) return undefined;
    return this.pause();
  }

  /** Yields now (between phases of a job) and throws if the signal fired meanwhile. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
    this.signal?.throwIfAborted();
  }
}
