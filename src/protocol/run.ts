import type { Check } from './validate';

/**
 * Run feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes.
 */
export type RunMethods = Record<never, never>;

export const runValidators: { [K in keyof RunMethods]: Check } = {};
