import type { CompareJson } from '../compare/compare-models';
import type { WireNodeOverlay } from './run';
import type { Check } from './validate';
import { bool, obj, optional } from './validate';

/**
 * Compare: the panel's model (A) against another model file (B) that the host picked (a file dialog, or the
 * Explorer's second selection). The webview never names a path: it asks the host, which asks the engine.
 */

/** What the Compare tab shows: B's file name, the CLI's `compare --json` object, and A's graph overlay. */
export interface CompareView {
  other: string;
  json: CompareJson;
  overlay: WireNodeOverlay;
}

export interface CompareRequest {
  /** Ask for another file even when one was chosen before. */
  pick?: boolean;
  /** Run both models on the same synthesized input (needs a trusted workspace). */
  outputs?: boolean;
}

export type CompareWebviewMethods = {
  /** null when the user cancelled the file pick. */
  compareWith: { params: CompareRequest; result: CompareView | null };
};

export const compareWebviewValidators: { [K in keyof CompareWebviewMethods]: Check } = {
  compareWith: obj({ pick: optional(bool), outputs: optional(bool) }),
};

export type CompareEngineMethods = {
  compare: { params: { modelId: string; other: string; outputs: boolean }; result: CompareView };
};
