import type { ForwardedMethods } from './forwarded';
import type { CompareWebviewMethods } from './compare';
import { compareWebviewValidators } from './compare';
import { forwardedValidators } from './forwarded';
import type { ModelSummary } from './summary';
import type { ExplanationSummary, PromptExplanationSummary } from './explain-summary';
import type { NodeExplanation } from './node-explanation';
import type { RunParams } from './run';
import { runParamsCheck } from './run';
import type { Check } from './validate';
import { bool, nothing, obj, optional, str, oneOf } from './validate';

/** Remembered Run tab inputs are small (dims, sources, presets): anything bigger is not a form's worth. */
export const MAX_RUN_PREFS_CHARS = 16 * 1024;
/** Largest graph export the host will save (decoded bytes). */
export const MAX_EXPORT_BYTES = 20 * 1024 * 1024;

export interface SaveExportParams {
  kind: 'svg' | 'png';
  /** Suggested plain file name (no folders), with the kind's extension. */
  fileName: string;
  /** SVG text, or the PNG as base64. */
  data: string;
}

/** Webview -> host requests. The webview is untrusted input: every params type has a validator below. */
export type CoreWebviewMethods = {
  getOverview: { params: Record<string, never>; result: ModelSummary };
  retry: { params: Record<string, never>; result: void };
  /** The Run tab's remembered inputs for this model (host state, keyed by the model's path); null when none. */
  getRunPrefs: { params: Record<string, never>; result: RunParams | null };
  setRunPrefs: { params: { prefs: RunParams }; result: void };
  /** A language model's tokenizer.json picked by the user (remembered per model); null path: the model's own. */
  getTokenizer: { params: Record<string, never>; result: { path: string | null } };
  /** Shows an open dialog for a tokenizer.json (or forgets the pick with `clear`); null when the user cancelled. */
  pickTokenizer: { params: { clear?: boolean }; result: { path: string | null } | null };
  /** Saves a graph export through a save dialog; the saved path, or null when the user cancelled. */
  saveExport: { params: SaveExportParams; result: { path: string } | null };
};

const sizeLimited = (check: Check, maxChars: number): Check => (x, p) =>
  check(x, p) ?? (JSON.stringify(x).length > maxChars ? `${p} is larger than ${maxChars} characters` : undefined);

export type WebviewMethods = CoreWebviewMethods & ForwardedMethods & CompareWebviewMethods;

export const webviewValidators: { [K in keyof WebviewMethods]: Check } = {
  getOverview: nothing,
  retry: nothing,
  getRunPrefs: nothing,
  setRunPrefs: obj({ prefs: sizeLimited(runParamsCheck, MAX_RUN_PREFS_CHARS) }),
  getTokenizer: nothing,
  pickTokenizer: obj({ clear: optional(bool) }),
  // Base64 is 4/3 of the bytes; the host checks the decoded size and the name (see host/export-target.ts).
  saveExport: obj({ kind: oneOf('svg', 'png'), fileName: str(255), data: str(Math.ceil(MAX_EXPORT_BYTES / 3) * 4) }),
  ...forwardedValidators,
  ...compareWebviewValidators,
};

/** Host -> webview requests (none yet: the host pushes events). */
export type HostMethods = Record<string, never>;

export type ViewKind = 'panel' | 'sidebar';

/** Host -> webview events. */
export type HostEvents = {
  init: { view: ViewKind; fileName: string; trusted: boolean };
  /** The model failed to open or the engine died; the view shows the message and a retry button. */
  error: { message: string; retryable: boolean };
  trust: { trusted: boolean };
  /** Side view only: the model in the active editor (null when none). */
  activeModel: { summary: ModelSummary | null };
  /**
   * Side view only: a node was selected in the active model's panel. Sent first with the id alone, then again with
   * the explanation once the host has it (and a third time when the weight health is known).
   */
  nodeSelected: { nodeId: string; explanation?: NodeExplanation; error?: string };
  /** Side view only: the last explanation's methods (newest call), each with its quality numbers and thumbnail. */
  explanation: { items: ExplanationSummary[] };
  /** Side view only: the last prompt explanation (a language model's tokens with their signed scores). */
  promptExplanation: PromptExplanationSummary;
  /** Panel only: "Compare With…" chose a second model; the panel opens its Compare tab and compares. */
  compareWith: { other: string };
};

/** Webview -> host events. */
export type WebviewEvents = {
  log: { level: 'info' | 'warn' | 'error'; message: string };
  /** `graph`: the subgraph the node is in (absent or '' for the main graph). */
  selectNode: { nodeId: string; graph?: string };
  tab: { tab: string };
};

export const webviewEventValidators: { [K in keyof WebviewEvents]: Check } = {
  log: obj({ level: oneOf('info', 'warn', 'error'), message: str(2000) }),
  selectNode: obj({ nodeId: str(1000), graph: optional(str(2000)) }),
  tab: obj({ tab: str(40) }),
};

