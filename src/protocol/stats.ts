import type { Check } from './validate';

/**
 * Stats feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes.
 */
export type StatsMethods = Record<never, never>;

export const statsValidators: { [K in keyof StatsMethods]: Check } = {};
