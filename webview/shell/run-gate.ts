import { cannotRun, type ModelSummary } from '../../src/protocol/summary';

/** The parts of a tab that runs the model (Run, Explain) which depend on whether it may and can run. */
export interface RunGate {
  /** Shown in Restricted Mode. */
  notice: HTMLElement;
  /** Shown, with the reason, when the model's format has no runtime here. */
  cannot: HTMLElement;
  /** The form, hidden when nothing can run. */
  body: HTMLElement | undefined;
  button: HTMLElement;
}

/**
 * Shows why the model cannot run (and then no form), or the Restricted Mode notice; the button is enabled only when
 * it can run, the workspace is trusted and no job is running. Returns the reason it cannot run, if any.
 */
export function refreshRunGate(g: RunGate, summary: ModelSummary, trusted: boolean, running: boolean): string | undefined {
  const why = cannotRun(summary);
  g.cannot.textContent = why ?? '';
  g.cannot.hidden = !why;
  if (g.body) g.body.hidden = !!why;
  g.notice.hidden = trusted || !!why;
  g.button.toggleAttribute('disabled', !trusted || !!why || running);
  return why;
}
