import { h, custom } from './dom';

/** The one error view: which file, what went wrong, and a Retry button when retrying can help. */
export function renderError(fileName: string, message: string, onRetry: (() => void) | undefined): HTMLElement {
  const retry = onRetry && custom('vscode-button', { id: 'mi-retry' }, 'Retry');
  retry?.addEventListener('click', () => onRetry?.());
  return h('div', { id: 'mi-error', class: 'mi-error', role: 'alert' },
    h('h2', {}, `Could not show ${fileName || 'this model'}`),
    h('p', { class: 'mi-error-message' }, message),
    retry,
  );
}
