import type { GraphView } from './graph-view';
import { FRAME } from './layout-core';
import { BoxKind, hitTest } from './scene';
import { onBadge } from './node-box';

/** Pointer, wheel, keyboard and toolbar input of the graph tab, driving the GraphView's public operations. */
export function wireGraphInput(g: GraphView): void {
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const { canvas, searchInput } = g.dom;
  let drag: { x: number; y: number; moved: boolean } | undefined;
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    drag = { x: e.clientX, y: e.clientY, moved: false };
    canvas.focus();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    g.view.tx += dx;
    g.view.ty += dy;
    drag.x = e.clientX;
    drag.y = e.clientY;
    g.requestDraw();
  });
  canvas.addEventListener('pointerup', (e) => {
    const wasDrag = drag?.moved;
    drag = undefined;
    if (!wasDrag) void clickAt(g, e.offsetX, e.offsetY, false);
  });
  canvas.addEventListener('dblclick', (e) => void clickAt(g, e.offsetX, e.offsetY, true));
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    g.zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.offsetX, e.offsetY);
  }, { passive: false });
  g.dom.root.addEventListener('keydown', (e) => onKey(g, e));
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => g.search(searchInput.value), 120);
  });
  searchInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(searchTimer);
      if (searchInput.value === g.lastQuery && g.hits.length) void g.nextHit(e.shiftKey ? -1 : 1);
      else g.search(searchInput.value);
    } else if (e.key === 'Escape') {
      searchInput.value = '';
      g.search('');
      canvas.focus();
    }
    e.stopPropagation();
  });
  const b = g.dom.buttons;
  b.fit.addEventListener('click', () => g.fit());
  b.expand.addEventListener('click', () => void g.expandAll());
  b.collapse.addEventListener('click', () => void g.collapseAll());
  g.dom.dirButton.addEventListener('click', () => void g.setDirection(g.rankdir === 'TB' ? 'LR' : 'TB'));
  b.svg.addEventListener('click', () => g.save('svg'));
  b.png.addEventListener('click', () => g.save('png'));
  b.constants.addEventListener('click', () => void g.setFold({ showConstants: !g.fold.showConstants }));
  b.shapeOps.addEventListener('click', () => void g.setFold({ showShapeOps: !g.fold.showShapeOps, openShapes: new Set() }));
}

async function clickAt(g: GraphView, sx: number, sy: number, dbl: boolean): Promise<void> {
  const s = g.scene, vm = g.vm;
  if (!s || !vm) return;
  const wx = (sx - g.view.tx) / g.view.k, wy = (sy - g.view.ty) / g.view.k;
  const b = hitTest(s, wx, wy);
  if (b < 0) return g.select(-1);
  const item = s.item[b];
  if (s.kind[b] === BoxKind.Group) return g.toggleGroup(vm.scopeOf(item));
  if (s.kind[b] === BoxKind.Frame) {
    if (wy - s.y[b] <= FRAME.top) return g.toggleGroup(vm.scopeOf(item));
    return g.select(item);
  }
  const node = vm.payload.nodes[item];
  if (dbl && node.subgraphs) return g.open(`${node.id}:0`);
  if (!dbl && node.shapeFrom && !g.fold.showShapeOps && onBadge(vm, item, wy - s.y[b], s.h[b])) return g.toggleShapeOps(item);
  return g.select(item);
}

function onKey(g: GraphView, e: KeyboardEvent): void {
  if ((e.target as HTMLElement).tagName === 'INPUT') return;
  const k = e.key;
  if ((k === 'f' && (e.ctrlKey || e.metaKey)) || k === '/') g.dom.searchInput.focus();
  else if (k === 'f' || k === '0') g.fit();
  else if (k === '+' || k === '=') g.zoom(1.25);
  else if (k === '-') g.zoom(0.8);
  else if (k === 'ArrowLeft') { g.view.tx += 60; g.requestDraw(); }
  else if (k === 'ArrowRight') { g.view.tx -= 60; g.requestDraw(); }
  else if (k === 'ArrowUp') { g.view.ty += 60; g.requestDraw(); }
  else if (k === 'ArrowDown') { g.view.ty -= 60; g.requestDraw(); }
  else if (k === 'F3' || (k === 'n' && !e.shiftKey)) void g.nextHit(e.shiftKey ? -1 : 1);
  else if (k === 'N') void g.nextHit(-1);
  else if (k === 'E') void g.expandAll();
  else if (k === 'C') void g.collapseAll();
  else if (k === 'l') void g.setDirection(g.rankdir === 'TB' ? 'LR' : 'TB');
  else if (k === 'Enter' && g.vm && g.selected >= g.vm.n) void g.toggleGroup(g.vm.scopeOf(g.selected));
  else if (k === 'Escape') void g.select(-1);
  else if (k !== 'Backspace' || !g.back()) return; // Backspace: back to the enclosing graph, if any
  e.preventDefault();
}
