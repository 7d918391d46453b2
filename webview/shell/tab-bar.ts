import type { Tab, TabContext, TabId } from './tab';
import { custom, h } from './dom';

export interface TabBar {
  readonly element: HTMLElement;
  readonly current: TabId;
  select(id: TabId, arg?: unknown): void;
  find(id: TabId): Tab | undefined;
}

/**
 * vscode-tabs with one header and one panel per tab. A tab mounts the first time it is shown, so opening a model
 * costs only the Overview; later visits call its `show`.
 */
export function createTabBar(tabs: Tab[], ctx: TabContext, initial: TabId, onChange: (id: TabId) => void): TabBar {
  const bar = custom('vscode-tabs', { class: 'mi-tabs' });
  const mounted = new Set<TabId>();
  const panels = new Map<TabId, HTMLElement>();
  for (const tab of tabs) {
    bar.append(custom('vscode-tab-header', { slot: 'header', 'data-tab': tab.id, id: `mi-tab-${tab.id}` }, tab.title));
    const body = h('div', { class: 'mi-tab-body', 'data-tab-body': tab.id });
    panels.set(tab.id, body);
    bar.append(custom('vscode-tab-panel', { 'data-tab-panel': tab.id }, body));
  }
  let current: TabId = tabs.some((t) => t.id === initial) ? initial : tabs[0].id;

  const activate = (id: TabId, arg?: unknown) => {
    const tab = tabs.find((t) => t.id === id);
    if (!tab) return;
    current = id;
    if (!mounted.has(id)) {
      mounted.add(id);
      try {
        tab.mount(panels.get(id)!, ctx);
      } catch (e) {
        panels.get(id)!.replaceChildren(h('p', { class: 'mi-error-message' }, `The ${tab.title} tab failed: ${e instanceof Error ? e.message : String(e)}`));
      }
    }
    tab.show?.(arg);
    onChange(id);
  };

  bar.addEventListener('vsc-tabs-select', (e) => {
    const index = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    const tab = tabs[index];
    if (tab && tab.id !== current) activate(tab.id);
  });

  const select = (id: TabId, arg?: unknown) => {
    const index = tabs.findIndex((t) => t.id === id);
    if (index < 0) return;
    bar.setAttribute('selected-index', String(index));
    activate(id, arg);
  };
  // First activation once the bar is in the document (the tab may measure its container).
  queueMicrotask(() => select(current));
  return {
    element: bar,
    get current() {
      return current;
    },
    select,
    find: (id) => tabs.find((t) => t.id === id),
  };
}
