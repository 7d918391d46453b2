import type { Tab, TabId } from './tab';
import { h } from './dom';

/** Stands in for a feature tab that has not been plugged in yet, so the tab bar is complete from day one. */
export function comingSoon(id: TabId, title: string, what: string): Tab {
  return {
    id,
    title,
    mount(container) {
      container.replaceChildren(
        h('div', { class: 'mi-placeholder', 'data-placeholder': id },
          h('h2', {}, `${title}: coming soon`),
          h('p', { class: 'mi-muted' }, what)),
      );
    },
  };
}
