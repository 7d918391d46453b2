import type { Model } from '../../src/model/graph';
import { computeModelStats } from '../../src/stats';

/**
 * Steps after open+summarize that a user triggers on a model. Each feature adds its step here so the fuzzer
 * exercises it too. Tensor-level problems are reported inside the stats result, so a throw here is a bug
 * unless it is a ModelError naming the file.
 */
export const userPathExtras: ((model: Model) => Promise<void>)[] = [
  async (model) => {
    await computeModelStats(model);
  },
];
