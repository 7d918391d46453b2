import { opCategory } from './categories';
import { FRAME } from './layout-core';
import type { OverlayScale, View } from './renderer';
import { draw, edgeLabel, nodeCount } from './renderer';
import { BADGE_H, nodeBox, ROW_H, SUB_H, TITLE_H } from './node-box';
import type { Scene } from './scene';
import { BoxKind } from './scene';
import type { Theme } from './theme';
import type { GraphViewModel } from './view-model';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** The current view (every drawn box and edge at the current expansion) as a standalone SVG document. */
export function sceneToSvg(vm: GraphViewModel, s: Scene, theme: Theme, overlay?: OverlayScale): string {
  const pad = 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${f(s.width + 2 * pad)}" height="${f(s.height + 2 * pad)}" viewBox="${-pad} ${-pad} ${f(s.width + 2 * pad)} ${f(s.height + 2 * pad)}" font-family="${esc(theme.font)}" font-size="12">`);
  out.push(`<rect x="${-pad}" y="${-pad}" width="100%" height="100%" fill="${esc(theme.background)}"/>`);
  out.push(`<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="${esc(theme.edge)}"/></marker></defs>`);
  for (let i = 0; i < s.count; i++) {
    if (s.kind[i] !== BoxKind.Frame) continue;
    const scope = vm.scopeOf(s.item[i]);
    out.push(`<g class="group" data-scope="${esc(vm.payload.scopes[scope])}"><rect x="${f(s.x[i])}" y="${f(s.y[i])}" width="${f(s.w[i])}" height="${f(s.h[i])}" fill="${esc(theme.groupFill)}" stroke="${esc(theme.border)}"/>` +
      `<text x="${f(s.x[i] + 10)}" y="${f(s.y[i] + FRAME.top / 2 + 4)}" fill="${esc(theme.muted)}">${esc(vm.groupLabel(scope))}</text></g>`);
  }
  out.push(`<g fill="none" stroke="${esc(theme.edge)}" stroke-width="1.2">`);
  for (const e of s.edges) {
    const p = e.pts;
    if (p.length < 4) continue;
    let d = `M${f(p[0])},${f(p[1])}`;
    if (e.curve) d += `C${f(p[2])},${f(p[3])} ${f(p[4])},${f(p[5])} ${f(p[6])},${f(p[7])}`;
    else for (let i = 2; i < p.length; i += 2) d += `L${f(p[i])},${f(p[i + 1])}`;
    const label = edgeLabel(vm, e.edge);
    out.push(`<path d="${d}" marker-end="url(#a)">${label ? `<title>${esc(label)}</title>` : ''}</path>`);
  }
  out.push('</g>');
  for (let i = 0; i < s.count; i++) {
    const kind = s.kind[i];
    if (kind === BoxKind.Frame) continue;
    const item = s.item[i];
    const x = s.x[i], y = s.y[i], w = s.w[i], h = s.h[i];
    const fill = overlay?.color(item);
    if (kind === BoxKind.Group) {
      const scope = vm.scopeOf(item);
      const hint = vm.payload.scopeHints[scope];
      out.push(`<g class="group collapsed" data-scope="${esc(vm.payload.scopes[scope])}"><rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" fill="${esc(fill ?? (hint >= 0 ? theme.hint(hint) : theme.category.other))}" stroke="${esc(theme.border)}"/>` +
        `<text x="${f(x + 8)}" y="${f(y + 19)}" font-weight="bold" fill="${esc(theme.foreground)}">${esc(vm.groupLabel(scope))}</text>` +
        `<text x="${f(x + 8)}" y="${f(y + 35)}" font-size="11" fill="${esc(theme.muted)}">${nodeCount(vm.scopeSize[scope])}</text></g>`);
      continue;
    }
    const n = vm.payload.nodes[item];
    const op = vm.payload.ops[n.op];
    const rx = n.kind === 'op' ? 0 : h / 2;
    out.push(`<g class="node" data-id="${esc(n.id)}"><rect x="${f(x)}" y="${f(y)}" width="${f(w)}" height="${f(h)}" rx="${rx}" fill="${esc(fill ?? theme.category[opCategory(op)])}" stroke="${esc(theme.border)}"/>`);
    if (n.kind === 'op') {
      const b = nodeBox(vm, item);
      const alone = !b.sub && !b.rows.length && !b.badge;
      out.push(`<text x="${f(x + 8)}" y="${f(y + (alone ? h / 2 + 4 : 16))}" font-weight="bold" fill="${esc(theme.foreground)}">${esc(op)}</text>`);
      let ly = y + TITLE_H;
      if (b.sub) {
        out.push(`<text x="${f(x + 8)}" y="${f(ly + 10)}" font-size="11" fill="${esc(theme.muted)}">${esc(b.sub)}</text>`);
        ly += SUB_H;
      }
      for (const r of b.rows) {
        out.push(`<text class="row" x="${f(x + 8)}" y="${f(ly + 10)}" font-size="10" fill="${esc(theme.muted)}">${esc(r)}</text>`);
        ly += ROW_H;
      }
      if (b.badge) out.push(`<text class="badge" x="${f(x + 8)}" y="${f(y + h - BADGE_H / 2)}" font-size="10" fill="${esc(theme.foreground)}">${esc(b.badge)}</text>`);
    } else out.push(`<text x="${f(x + 12)}" y="${f(y + h / 2 + 4)}" fill="${esc(theme.foreground)}">${esc(n.name)}</text>`);
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Renders the whole current view to a PNG at up to 2x, capped so the bitmap stays within browser limits. */
export async function sceneToPng(vm: GraphViewModel, s: Scene, theme: Theme, overlay?: OverlayScale): Promise<Blob> {
  const pad = 20;
  const scale = Math.min(2, 8000 / (s.width + 2 * pad), 8000 / (s.height + 2 * pad));
  const w = Math.max(1, Math.ceil((s.width + 2 * pad) * scale));
  const h = Math.max(1, Math.ceil((s.height + 2 * pad) * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d') as unknown as CanvasRenderingContext2D;
  const view: View = { k: scale, tx: pad * scale, ty: pad * scale };
  draw(ctx, w, h, vm, s, view, theme, { selected: -1, hits: new Set(), currentHit: -1, overlay });
  return canvas.convertToBlob({ type: 'image/png' });
}
