// vscode-free: what Restricted Mode (an untrusted workspace) allows. Viewing reads files; running executes them
// (native runtimes, custom ops), so only viewing is allowed until the user trusts the workspace.
import { GRAPH_METHODS_THAT_RUN, graphValidators } from '../protocol/graph';
import { statsValidators } from '../protocol/stats';

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';
export const MANAGE_TRUST_ACTION = 'Manage Workspace Trust';

/**
 * Forwarded methods that only read the model. Deny by default: any other forwarded method (run, and whatever
 * executes the model next: profiling, activations, saliency) needs trust without anyone having to list it here.
 */
const viewOnly: ReadonlySet<string> = new Set([...Object.keys(graphValidators).filter((m) => !GRAPH_METHODS_THAT_RUN.has(m)), ...Object.keys(statsValidators)]);

export function needsTrust(method: string): boolean {
  return !viewOnly.has(method);
}

/** The one-line refusal shown for a feature that would execute a model. */
export function restrictedModeMessage(feature: string, file?: string): string {
  return `${feature} is disabled in Restricted Mode: trust this workspace to run ${file ?? 'models'}.`;
}
