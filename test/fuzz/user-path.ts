import type { Model } from '../../src/model/graph';

/**
 * Steps after open+summarize that a user triggers on a model (weight stats, …). Each feature adds its step here
 * so the fuzzer exercises it too.
 */
export const userPathExtras: ((model: Model) => Promise<void>)[] = [];
