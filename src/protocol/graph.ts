import type { Check } from './validate';

/**
 * Graph feature: webview -> host requests that the host forwards to the engine with the panel's modelId added
 * (see forwarded.ts). Params/results are JSON-safe summaries: never tensor bytes.
 */
export type GraphMethods = Record<never, never>;

export const graphValidators: { [K in keyof GraphMethods]: Check } = {};
