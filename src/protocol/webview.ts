import type { ForwardedMethods } from './forwarded';
import { forwardedValidators } from './forwarded';
import type { ModelSummary } from './summary';
import type { Check } from './validate';
import { nothing, obj, str, oneOf } from './validate';

/** Webview -> host requests. The webview is untrusted input: every params type has a validator below. */
export type CoreWebviewMethods = {
  getOverview: { params: Record<string, never>; result: ModelSummary };
  retry: { params: Record<string, never>; result: void };
};

export type WebviewMethods = CoreWebviewMethods & ForwardedMethods;

export const webviewValidators: { [K in keyof WebviewMethods]: Check } = {
  getOverview: nothing,
  retry: nothing,
  ...forwardedValidators,
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
  /** Side view only: a node was selected in the active model's panel. */
  nodeSelected: { nodeId: string };
};

/** Webview -> host events. */
export type WebviewEvents = {
  log: { level: 'info' | 'warn' | 'error'; message: string };
  selectNode: { nodeId: string };
  tab: { tab: string };
};

export const webviewEventValidators: { [K in keyof WebviewEvents]: Check } = {
  log: obj({ level: oneOf('info', 'warn', 'error'), message: str(2000) }),
  selectNode: obj({ nodeId: str(1000) }),
  tab: obj({ tab: str(40) }),
};

