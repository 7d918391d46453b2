import type { ProgressPayload } from '../../src/protocol/wire';
import { custom, h } from './dom';
import { progressText } from './progress';

/** What a job's work gets: the signal Cancel aborts, and where to report progress. */
export interface JobHooks {
  signal: AbortSignal;
  onProgress: (p: ProgressPayload) => void;
}

export interface Job {
  /** Cancel (shown while the job runs), the status line (progress) and the error line, for the tab to place. */
  readonly cancelButton: HTMLElement;
  readonly status: HTMLElement;
  readonly error: HTMLElement;
  readonly running: boolean;
  /** Runs `work` (the engine call and the rendering of its result); a failure or a cancel shows in the error line. */
  run(work: (hooks: JobHooks) => Promise<void>, startText?: string): Promise<void>;
}

/**
 * One long engine job at a time, with Cancel, a progress line and an error line (the Run and Explain tabs). Ids are
 * mi-<prefix>-cancel, -status and -error (the e2e tests use them). `onStateChange` runs when a job starts and ends, so
 * the tab can disable its own button.
 */
export function createJob(prefix: string, onStateChange: () => void): Job {
  let running: AbortController | undefined;
  const cancelButton = custom('vscode-button', { id: `mi-${prefix}-cancel`, secondary: true, hidden: true }, 'Cancel');
  const status = h('span', { id: `mi-${prefix}-status`, class: 'mi-muted', role: 'status' });
  const error = h('p', { id: `mi-${prefix}-error`, class: 'mi-error mi-wrap', hidden: true });
  cancelButton.addEventListener('click', () => running?.abort());
  return {
    cancelButton,
    status,
    error,
    get running() {
      return !!running;
    },
    async run(work, startText = '') {
      running = new AbortController();
      cancelButton.hidden = false;
      error.hidden = true;
      status.textContent = startText;
      onStateChange();
      try {
        await work({ signal: running.signal, onProgress: (p) => (status.textContent = progressText(p)) });
        status.textContent = '';
      } catch (e) {
        // Cancel is the user's own choice, not a failure: a quiet status line, not the red error box.
        const cancelled = running?.signal.aborted === true;
        status.textContent = cancelled ? 'Cancelled.' : '';
        if (!cancelled) {
          error.textContent = e instanceof Error ? e.message : String(e);
          error.hidden = false;
        }
      } finally {
        running = undefined;
        cancelButton.hidden = true;
        onStateChange();
      }
    },
  };
}
