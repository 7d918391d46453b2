import type { NodeOverlay } from '../shell/tab';
import { formatCount } from '../../src/protocol/summary';
import { opCategory } from './categories';
import { FRAME } from './layout-core';
import type { Scene } from './scene';
import { BoxKind } from './scene';
import type { Theme } from './theme';
import type { GraphViewModel } from './view-model';
import { BADGE_H, nodeBox, ROW_H, SUB_H, TITLE_H } from './node-box';

export interface View {
  k: number;
  tx: number;
  ty: number;
}

export interface DrawState {
  selected: number;
  hits: Set<number>;
  currentHit: number;
  overlay?: OverlayScale;
}

/** Overlay values resolved to colours once per overlay, not per frame. */
export interface OverlayScale {
  overlay: NodeOverlay;
  color(item: number): string | undefined;
  min: number;
  max: number;
  /** Set for a categorical overlay (Compare's added/removed/changed/unchanged): one colour per category. */
  categories?: { value: number; label: string; color: string }[];
}

/**
 * Category colours: distinct hues that stand apart from both the light and the dark background (none is near
 * white or near the editor's dark grey), so "unchanged" is a colour too, not the background.
 */
export const CATEGORY_COLORS = ['#8c9bab', '#4f8fd6', '#f0a92e', '#e0524a', '#a95fd6', '#36a978'];

const SEQ = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const DIV = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]];

export function rampColor(t: number, diverging: boolean): string {
  const stops = diverging ? DIV : SEQ;
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, j) => Math.round(v + (stops[i + 1][j] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** WCAG relative luminance of an `rgb(r,g,b)` colour (as rampColor writes them). */
function luminance(rgb: string): number {
  const c = (rgb.match(/\d+/g) ?? ['0', '0', '0']).slice(0, 3).map((v) => {
    const x = Number(v) / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/**
 * Text colours for a box filled with an overlay colour: the theme's foreground is unreadable on the bright end of
 * the ramp in a dark theme (and on the dark end in a light one), so the text follows the fill, not the theme.
 */
export function textOn(fill: string): { foreground: string; muted: string } {
  // Black text wins over white when the fill is lighter than the luminance where both contrasts are equal (~0.18).
  return luminance(fill) > 0.18 ? { foreground: '#000000', muted: 'rgba(0,0,0,0.75)' } : { foreground: '#ffffff', muted: 'rgba(255,255,255,0.85)' };
}

/** Colours per item: a node's own value, a collapsed group's mean over its nodes. */
export function overlayScale(vm: GraphViewModel, overlay: NodeOverlay): OverlayScale {
  const ids = new Map(vm.payload.nodes.map((n, i) => [n.id, i]));
  const nodeVal = new Float64Array(vm.n).fill(NaN);
  let min = Infinity, max = -Infinity;
  for (const [id, v] of Object.entries(overlay.values)) {
    const i = ids.get(id);
    if (i === undefined || !Number.isFinite(v)) continue;
    nodeVal[i] = v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // A folded node's value (a weight's statistics land on the Identity that reads it) shows on the box it folds into.
  for (let i = 0; i < vm.n; i++) {
    if (!vm.hidden[i] || Number.isNaN(nodeVal[i])) continue;
    const t = vm.drawnFor(i);
    if (t >= 0 && !(nodeVal[t] >= nodeVal[i])) nodeVal[t] = nodeVal[i];
  }
  const S = vm.payload.scopes.length;
  const sum = new Float64Array(S), cnt = new Float64Array(S);
  for (let i = 0; i < vm.n; i++) {
    if (Number.isNaN(nodeVal[i]) || vm.hidden[i]) continue;
    for (let s = vm.nodeScope[i]; s >= 0; s = vm.scopeParent[s]) {
      sum[s] += nodeVal[i];
      cnt[s]++;
    }
  }
  if (overlay.categories?.length) return categoricalScale(vm, overlay, nodeVal, min, max);
  const diverging = overlay.scale === 'diverging';
  const lim = Math.max(Math.abs(min), Math.abs(max)) || 1;
  const norm = (v: number) => (diverging ? 0.5 + v / (2 * lim) : max > min ? (v - min) / (max - min) : 0.5);
  return {
    overlay,
    min,
    max,
    color(item) {
      const v = item < vm.n ? nodeVal[item] : cnt[item - vm.n] ? sum[item - vm.n] / cnt[item - vm.n] : NaN;
      return Number.isNaN(v) ? undefined : rampColor(norm(v), diverging);
    },
  };
}

/** Each category its own colour; a collapsed group takes its most notable member's (the highest value). */
function categoricalScale(vm: GraphViewModel, overlay: NodeOverlay, nodeVal: Float64Array, min: number, max: number): OverlayScale {
  const categories = overlay.categories!.map((c, k) => ({ ...c, color: CATEGORY_COLORS[k % CATEGORY_COLORS.length] }));
  const colorOf = new Map(categories.map((c) => [c.value, c.color]));
  const top = new Float64Array(vm.payload.scopes.length).fill(NaN);
  for (let i = 0; i < vm.n; i++) {
    const v = nodeVal[i];
    if (Number.isNaN(v) || vm.hidden[i]) continue;
    for (let s = vm.nodeScope[i]; s >= 0; s = vm.scopeParent[s]) if (!(top[s] >= v)) top[s] = v;
  }
  return {
    overlay,
    min,
    max,
    categories,
    color(item) {
      const v = item < vm.n ? nodeVal[item] : top[item - vm.n];
      return Number.isNaN(v) ? undefined : colorOf.get(v);
    },
  };
}

/** An edge's shape as Netron writes it ("1×16×32"), with the dtype only when it is not float32. */
export function edgeLabel(vm: GraphViewModel, edge: number): string {
  const v = vm.payload.values[vm.payload.edges[edge][2]];
  if (!v.shape) return v.dtype && v.dtype !== 'float32' ? v.dtype : '';
  const dims = v.shape.length ? v.shape.join('×') : 'scalar';
  return v.dtype && v.dtype !== 'float32' ? `${v.dtype} ${dims}` : dims;
}

/** Draws the part of the scene inside the canvas; everything off screen is skipped by a bounds test. */
export function draw(ctx: CanvasRenderingContext2D, cw: number, ch: number, vm: GraphViewModel, s: Scene, view: View, theme: Theme, st: DrawState): number {
  const { k, tx, ty } = view;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, cw, ch);
  ctx.setTransform(k, 0, 0, k, tx, ty);
  const x0 = -tx / k, y0 = -ty / k, x1 = (cw - tx) / k, y1 = (ch - ty) / k;
  const showText = k > 0.32;
  const detail = k > 0.12;
  let drawn = 0;
  const visibleBox = (i: number) => !(s.x[i] > x1 || s.y[i] > y1 || s.x[i] + s.w[i] < x0 || s.y[i] + s.h[i] < y0);

  // 1. Frames of expanded groups.
  ctx.lineWidth = 1 / Math.max(k, 0.5);
  for (let i = 0; i < s.count; i++) {
    if (s.kind[i] !== BoxKind.Frame || !visibleBox(i)) continue;
    const scope = vm.scopeOf(s.item[i]);
    const hint = vm.payload.scopeHints[scope];
    ctx.fillStyle = theme.groupFill;
    ctx.fillRect(s.x[i], s.y[i], s.w[i], s.h[i]);
    if (hint >= 0) {
      ctx.fillStyle = theme.hint(hint);
      ctx.fillRect(s.x[i], s.y[i], 5, s.h[i]);
    }
    ctx.strokeStyle = st.selected === s.item[i] ? theme.focus : theme.border;
    ctx.strokeRect(s.x[i], s.y[i], s.w[i], s.h[i]);
    if (showText) {
      ctx.fillStyle = theme.muted;
      ctx.font = `12px ${theme.font}`;
      ctx.textBaseline = 'middle';
      ctx.fillText(`▾ ${vm.groupLabel(scope)}  ·  ${nodeCount(vm.scopeSize[scope])}`, s.x[i] + 10, s.y[i] + FRAME.top / 2, s.w[i] - 16);
    }
    drawn++;
  }

  // 2. Edges, batched into one path (plus one for edges touching the selection).
  ctx.lineWidth = 1.2 / Math.max(k, 0.6);
  ctx.strokeStyle = theme.edge;
  ctx.fillStyle = theme.edge;
  ctx.beginPath();
  const labels: number[] = [];
  const highlighted: number[] = [];
  for (let e = 0; e < s.edges.length; e++) {
    const E = s.edges[e];
    if (E.minX > x1 || E.minY > y1 || E.maxX < x0 || E.maxY < y0) continue;
    if (E.from === st.selected || E.to === st.selected) highlighted.push(e);
    tracePath(ctx, E.pts, E.curve);
    if (k > 0.75) labels.push(e);
  }
  ctx.stroke();
  if (detail) for (let e = 0; e < s.edges.length; e++) {
    const E = s.edges[e];
    if (E.maxX < x0 || E.minX > x1 || E.maxY < y0 || E.minY > y1) continue;
    arrowHead(ctx, E.pts, k);
  }
  if (highlighted.length) {
    ctx.strokeStyle = theme.focus;
    ctx.lineWidth = 2.2 / Math.max(k, 0.6);
    ctx.beginPath();
    for (const e of highlighted) tracePath(ctx, s.edges[e].pts, s.edges[e].curve);
    ctx.stroke();
  }

  // 3. Nodes and collapsed groups.
  ctx.lineWidth = 1 / Math.max(k, 0.5);
  ctx.textBaseline = 'middle';
  for (let i = 0; i < s.count; i++) {
    if (s.kind[i] === BoxKind.Frame || !visibleBox(i)) continue;
    drawn++;
    const item = s.item[i];
    const x = s.x[i], y = s.y[i], w = s.w[i], h = s.h[i];
    const over = st.overlay?.color(item);
    if (s.kind[i] === BoxKind.Group) {
      const scope = vm.scopeOf(item);
      const hint = vm.payload.scopeHints[scope];
      ctx.fillStyle = over ?? (hint >= 0 ? theme.hint(hint) : theme.category.other);
      if (detail) {
        ctx.strokeStyle = theme.border;
        ctx.strokeRect(x + 4, y - 4, w, h); // a second outline behind: "this is a stack of nodes"
      }
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = theme.border;
      if (detail) ctx.strokeRect(x, y, w, h);
      if (showText) {
        const text = over ? textOn(over) : theme;
        ctx.fillStyle = text.foreground;
        ctx.font = `bold 12px ${theme.font}`;
        ctx.fillText(`▸ ${vm.groupLabel(scope)}`, x + 8, y + 15, w - 14);
        ctx.font = `11px ${theme.font}`;
        ctx.fillStyle = text.muted;
        ctx.fillText(nodeCount(vm.scopeSize[scope]), x + 8, y + 31, w - 14);
      }
    } else {
      const node = vm.payload.nodes[item];
      const op = vm.payload.ops[node.op];
      ctx.fillStyle = over ?? theme.category[opCategory(op)];
      if (node.kind === 'op' || !detail) ctx.fillRect(x, y, w, h);
      else roundRect(ctx, x, y, w, h, h / 2);
      if (detail) {
        ctx.strokeStyle = theme.border;
        if (node.kind === 'op') ctx.strokeRect(x, y, w, h);
        else ctx.stroke();
      }
      if (showText) {
        const text = over ? textOn(over) : theme;
        ctx.fillStyle = text.foreground;
        if (node.kind === 'op') {
          const b = nodeBox(vm, item);
          const alone = !b.sub && !b.rows.length && !b.badge;
          ctx.font = `bold 12px ${theme.font}`;
          ctx.fillText(op, x + 8, alone ? y + h / 2 : y + 12, w - (node.weights ? 56 : 14));
          let ly = y + TITLE_H;
          ctx.fillStyle = text.muted;
          if (b.sub) {
            ctx.font = `11px ${theme.font}`;
            ctx.fillText(b.sub, x + 8, ly + SUB_H / 2 - 1, w - 14);
            ly += SUB_H;
          }
          if (b.rows.length) {
            ctx.font = `10px ${theme.font}`;
            for (const r of b.rows) {
              ctx.fillText(r, x + 8, ly + ROW_H / 2 - 1, w - 14);
              ly += ROW_H;
            }
          }
          if (b.badge) shapeBadge(ctx, x + 4, y + h - BADGE_H - 3, w - 8, b.badge, theme, over ? text.foreground : undefined);
          ctx.fillStyle = text.foreground;
          if (node.weights) weightBadge(ctx, x + w - 44, y + 4, node.params ?? 0, theme, over ? text.foreground : undefined);
        } else {
          ctx.font = `12px ${theme.font}`;
          ctx.fillText(node.name, x + 12, y + h / 2, w - 20);
        }
      }
    }
    if (st.hits.has(item)) outline(ctx, x, y, w, h, item === st.currentHit ? '#ea5c00' : theme.searchHit, item === st.currentHit ? 3 : 2, k);
    if (item === st.selected) outline(ctx, x, y, w, h, theme.focus, 2.5, k);
  }

  if (labels.length && showText) {
    ctx.font = `10px ${theme.font}`;
    ctx.textBaseline = 'bottom';
    for (const e of labels) {
      const E = s.edges[e];
      const text = edgeLabel(vm, E.edge);
      if (!text) continue;
      const n = E.pts.length;
      const mid = Math.floor(n / 4) * 2;
      const mx = E.curve ? (E.pts[0] + E.pts[6]) / 2 : E.pts[mid];
      const my = E.curve ? (E.pts[1] + E.pts[7]) / 2 : E.pts[mid + 1];
      ctx.fillStyle = theme.background;
      const tw = ctx.measureText(text).width;
      ctx.globalAlpha = 0.8;
      ctx.fillRect(mx + 3, my - 12, tw + 4, 12);
      ctx.globalAlpha = 1;
      ctx.fillStyle = theme.muted;
      ctx.fillText(text, mx + 5, my);
    }
  }
  return drawn;
}

export function tracePath(ctx: CanvasRenderingContext2D | Path2D, pts: Float32Array, curve: boolean): void {
  if (pts.length < 4) return;
  ctx.moveTo(pts[0], pts[1]);
  if (curve) ctx.bezierCurveTo(pts[2], pts[3], pts[4], pts[5], pts[6], pts[7]);
  else for (let i = 2; i < pts.length; i += 2) ctx.lineTo(pts[i], pts[i + 1]);
}

function arrowHead(ctx: CanvasRenderingContext2D, pts: Float32Array, k: number): void {
  const n = pts.length;
  if (n < 4) return;
  const x = pts[n - 2], y = pts[n - 1];
  const dx = x - pts[n - 4], dy = y - pts[n - 3];
  const len = Math.hypot(dx, dy) || 1;
  const s = 6 / Math.max(k, 0.6);
  const ux = dx / len, uy = dy / len;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x - ux * s - uy * s * 0.5, y - uy * s + ux * s * 0.5);
  ctx.lineTo(x - ux * s + uy * s * 0.5, y - uy * s - ux * s * 0.5);
  ctx.fill();
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
  ctx.fill();
}

function outline(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, color: string, width: number, k: number): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = width / Math.max(k, 0.3);
  ctx.strokeRect(x - 2, y - 2, w + 4, h + 4);
  ctx.lineWidth = 1 / Math.max(k, 0.5);
}

/** "1 node", "12 nodes". */
export function nodeCount(n: number): string {
  return `${n} node${n === 1 ? '' : 's'}`;
}

function shapeBadge(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, text: string, theme: Theme, foreground?: string): void {
  const dark = foreground ? foreground === '#000000' : theme.kind === 'light';
  ctx.fillStyle = dark ? 'rgba(0,0,0,0.10)' : 'rgba(255,255,255,0.13)';
  ctx.beginPath();
  ctx.roundRect(x, y, w, BADGE_H - 2, 4);
  ctx.fill();
  ctx.fillStyle = foreground ?? theme.foreground;
  ctx.font = `10px ${theme.font}`;
  ctx.fillText(text, x + 4, y + (BADGE_H - 2) / 2 + 0.5, w - 8);
}

function weightBadge(ctx: CanvasRenderingContext2D, x: number, y: number, params: number, theme: Theme, foreground?: string): void {
  const dark = foreground ? foreground === '#000000' : theme.kind === 'light';
  ctx.fillStyle = dark ? 'rgba(0,0,0,0.12)' : 'rgba(255,255,255,0.16)';
  ctx.beginPath();
  ctx.roundRect(x, y, 40, 14, 7);
  ctx.fill();
  ctx.fillStyle = foreground ?? theme.foreground;
  ctx.font = `9px ${theme.font}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(`W ${formatCount(params)}`, x + 5, y + 7.5, 32);
  ctx.textBaseline = 'middle';
}

export { formatCount };
