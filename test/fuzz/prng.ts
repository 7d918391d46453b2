import { rng } from '../../src/runtime/synthesize';

/** The runtime's seeded generator with the helpers a fuzzer needs, so a fuzz run is reproducible from its seed. */
export class Prng {
  private readonly draw: () => number;
  constructor(seed: number) {
    this.draw = rng(seed);
  }
  next(): number {
    return this.draw();
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}
