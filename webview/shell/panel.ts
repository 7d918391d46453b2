import type { ModelSummary } from '../../src/protocol/summary';
import type { Connection } from '../messaging/connect';
import { vscodeApi } from '../messaging/vscode-api';
import type { NodeOverlay, TabContext, TabId } from './tab';
import { createTabBar, type TabBar } from './tab-bar';
import { tabFactories } from './tabs';
import { renderError } from './error-view';
import { custom, h } from './dom';

interface SavedState {
  tab?: TabId;
}

/**
 * The model panel: a header (the file name for screen readers only: VS Code's editor tab and breadcrumbs already show
 * it twice; the Restricted Mode badge), then either a loading line, the tabs, or the error view.
 * Every failure (open error, engine crash, failed request) ends in the error view with Retry.
 */
export function mountPanel(root: HTMLElement, { rpc, init }: Connection): void {
  const title = h('h1', { id: 'mi-title', class: 'mi-title mi-sr-only' }, '');
  const badge = h('span', { id: 'mi-trust', class: 'mi-badge', hidden: true, title: 'This workspace is not trusted: running models is disabled.' }, 'Restricted Mode');
  const body = h('main', { id: 'mi-body', class: 'mi-body' });
  root.replaceChildren(h('header', { class: 'mi-header' }, title, badge), body);

  let fileName = '';
  let trusted = false;
  let bar: TabBar | undefined;
  let generation = 0;
  /** "Compare With…" arrived before the tabs were up. */
  let pendingCompare: { other: string } | undefined;
  const saved = (vscodeApi().getState() ?? {}) as SavedState;

  const setTrusted = (t: boolean) => {
    trusted = t;
    badge.hidden = t;
  };

  const showError = (message: string, retryable: boolean) => {
    generation++;
    bar = undefined;
    body.replaceChildren(renderError(fileName, message, retryable ? retry : undefined));
  };

  const showTabs = (summary: ModelSummary) => {
    const ctx: TabContext = {
      rpc,
      summary,
      get trusted() {
        return trusted;
      },
      navigate: (tab, arg) => bar?.select(tab, arg),
      setOverlay: (overlay: NodeOverlay | undefined) => {
        bar?.find('graph')?.setOverlay?.(overlay);
        if (overlay) bar?.select('graph');
      },
      selectNode: (nodeId, graph) => rpc.emit('selectNode', graph ? { nodeId, graph } : { nodeId }),
    };
    bar = createTabBar(tabFactories.map((f) => f()), ctx, saved.tab ?? 'overview', (tab) => {
      saved.tab = tab;
      vscodeApi().setState(saved);
      rpc.emit('tab', { tab });
    });
    body.replaceChildren(bar.element);
    if (pendingCompare) bar.select('compare', pendingCompare);
    pendingCompare = undefined;
  };

  const load = async () => {
    const mine = ++generation;
    body.replaceChildren(h('div', { id: 'mi-loading', class: 'mi-loading' }, custom('vscode-progress-ring', {}), h('span', {}, `Opening ${fileName}…`)));
    try {
      const summary = await rpc.call('getOverview', {});
      if (mine === generation) showTabs(summary);
    } catch (e) {
      if (mine === generation) showError(e instanceof Error ? e.message : String(e), true);
    }
  };

  async function retry() {
    body.replaceChildren(h('div', { id: 'mi-loading', class: 'mi-loading' }, custom('vscode-progress-ring', {}), h('span', {}, 'Retrying…')));
    try {
      await rpc.call('retry', {});
    } catch (e) {
      showError(e instanceof Error ? e.message : String(e), true);
      return;
    }
    await load();
  }

  rpc.on('error', ({ message, retryable }) => showError(message, retryable));
  rpc.on('trust', ({ trusted: t }) => setTrusted(t));
  rpc.on('compareWith', (arg) => {
    if (bar) bar.select('compare', arg);
    else pendingCompare = arg;
  });

  void init.then((info) => {
    fileName = info.fileName;
    title.textContent = info.fileName;
    document.title = info.fileName;
    setTrusted(info.trusted);
    void load();
  });
}
