import { adoptGraphStyles } from './styles';

export interface GraphDom {
  root: HTMLElement;
  crumbs: HTMLElement;
  searchInput: HTMLInputElement;
  count: HTMLElement;
  dirButton: HTMLButtonElement;
  buttons: Record<'fit' | 'expand' | 'collapse' | 'svg' | 'png' | 'prev' | 'next' | 'constants' | 'shapeOps', HTMLButtonElement>;
  stage: HTMLElement;
  canvas: HTMLCanvasElement;
  minimap: HTMLCanvasElement;
  legend: HTMLElement;
  status: HTMLElement;
  side: HTMLElement;
}

/** The tab's static DOM: toolbar, canvas stage (with minimap, legend, status) and the properties sidebar. */
export function buildDom(container: HTMLElement): GraphDom {
  adoptGraphStyles();
  const mk = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  };
  const root = mk('div', 'mi-graph');
  const bar = mk('div', 'bar');
  const crumbs = mk('span', 'crumbs');
  const searchInput = mk('input', 'search');
  searchInput.type = 'search';
  searchInput.placeholder = 'Search name, op or tensor  ( / )';
  // Wide enough for the whole placeholder (ch is the width of "0", wider than most letters).
  searchInput.style.width = `${searchInput.placeholder.length + 2}ch`;
  searchInput.setAttribute('aria-label', 'Search the graph');
  const count = mk('span', 'count');
  const button = (text: string, title: string) => {
    const b = mk('button', undefined, text);
    b.title = title;
    return b;
  };
  const buttons = {
    prev: button('↑', 'Previous hit (Shift+Enter)'),
    next: button('↓', 'Next hit (Enter, F3)'),
    fit: button('Fit', 'Fit to view (F)'),
    expand: button('Expand all', 'Expand every group (Shift+E)'),
    collapse: button('Collapse all', 'Collapse every group (Shift+C)'),
    svg: button('SVG', 'Export the current view as SVG'),
    png: button('PNG', 'Export the current view as PNG'),
    constants: button('Constants', 'Show Constant nodes and weight Identity nodes as boxes instead of rows on their consumers'),
    shapeOps: button('Shape ops', 'Show the ops that only compute shapes instead of a badge on the node they feed'),
  };
  buttons.constants.setAttribute('aria-pressed', 'false');
  buttons.shapeOps.setAttribute('aria-pressed', 'false');
  const dirButton = button('Top→down', 'Toggle top-down / left-right (L)');
  bar.append(crumbs, searchInput, buttons.prev, buttons.next, count, buttons.fit, buttons.expand, buttons.collapse, dirButton, buttons.constants, buttons.shapeOps, buttons.svg, buttons.png);
  const main = mk('div', 'main');
  const stage = mk('div', 'stage');
  const canvas = mk('canvas', 'view');
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'Model graph: arrows pan, +/- zoom, F fit, / search');
  const minimap = mk('canvas', 'minimap');
  const legend = mk('div', 'legend');
  const status = mk('div', 'status');
  stage.append(canvas, minimap, legend, status);
  const side = mk('div', 'side');
  side.hidden = true;
  side.setAttribute('aria-label', 'Node properties');
  main.append(stage, side);
  root.append(bar, main);
  container.append(root);
  return { root, crumbs, searchInput, count, dirButton, buttons, stage, canvas, minimap, legend, status, side };
}
