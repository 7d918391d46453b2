import { h } from '../shell/dom';

export interface Column<R> {
  key: string;
  title: string;
  /** Sort value; null sorts last. */
  value(r: R): number | string | null;
  /** Cell content; defaults to the value as text. */
  render?(r: R): Node | string;
  numeric?: boolean;
}

/**
 * A sortable table: click a header to sort by it, again to reverse. Rows are rebuilt on each sort (tables here
 * hold at most a few thousand rows); `onRow` wires clicks.
 */
export function sortableTable<R>(id: string, columns: Column<R>[], rows: R[], opts: {
  initial?: { key: string; dir: 1 | -1 };
  rowAttrs?(r: R): Record<string, string>;
  onRow?(r: R, ev: MouseEvent, tr: HTMLTableRowElement): void;
}): { el: HTMLElement; setRows(rows: R[]): void } {
  let sort = opts.initial;
  let data = rows;
  const thead = h('thead');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', id }, thead, tbody);
  const renderHead = () => {
    thead.replaceChildren(h('tr', {}, columns.map((c) => {
      const th = h('th', { 'data-key': c.key, 'aria-sort': sort?.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : undefined }, c.title);
      th.addEventListener('click', () => {
        sort = { key: c.key, dir: sort?.key === c.key ? (-sort.dir as 1 | -1) : c.numeric ? -1 : 1 };
        render();
      });
      return th;
    })));
  };
  const render = () => {
    renderHead();
    let shown = data;
    if (sort) {
      const col = columns.find((c) => c.key === sort!.key)!;
      const dir = sort.dir;
      shown = [...data].sort((a, b) => {
        const x = col.value(a);
        const y = col.value(b);
        if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
        return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
      });
    }
    tbody.replaceChildren(...shown.map((r) => {
      const tr = h('tr', opts.rowAttrs?.(r) ?? {}, columns.map((c) => {
        const v = c.render ? c.render(r) : String(c.value(r) ?? '—');
        return h('td', { class: c.numeric ? 'num' : undefined }, v);
      }));
      if (opts.onRow) tr.addEventListener('click', (ev) => opts.onRow!(r, ev, tr));
      return tr;
    }));
  };
  render();
  return { el: h('div', { class: 'scroll' }, table), setRows: (r) => { data = r; render(); } };
}
