import { categoryLabels, opCategory } from './categories';
import type { OpCategory } from './categories';
import type { OverlayScale } from './renderer';
import { rampColor } from './renderer';
import type { Theme } from './theme';
import type { GraphViewModel } from './view-model';

/**
 * The legend: an overlay's categories (a swatch each) or its colour ramp and range, else the op categories present;
 * then notes (what is folded away, where edge shapes come from).
 */
export function renderLegend(l: HTMLElement, scale: OverlayScale | undefined, vm: GraphViewModel | undefined, theme: Theme, notes: string[] = []): void {
  l.replaceChildren();
  const div = (text: string, cls?: string) => {
    const d = document.createElement('div');
    d.textContent = text;
    if (cls) d.className = cls;
    return d;
  };
  const swatch = (color: string, label: string) => {
    const row = document.createElement('div');
    const sw = document.createElement('span');
    sw.className = 'sw';
    sw.style.background = color;
    row.append(sw, label);
    return row;
  };
  if (scale?.categories) {
    l.append(div(scale.overlay.title.replace(/:.*$/, '')));
    for (const c of scale.categories) l.append(swatch(c.color, c.label));
  } else if (scale) {
    const o = scale;
    const ramp = div('', 'ramp');
    const diverging = o.overlay.scale === 'diverging';
    ramp.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => rampColor(t, diverging)).join(', ')})`;
    const lim = Math.max(Math.abs(o.min), Math.abs(o.max));
    const range = Number.isFinite(o.min) ? (diverging ? `−${lim.toPrecision(3)} … 0 … ${lim.toPrecision(3)}` : `${o.min.toPrecision(3)} … ${o.max.toPrecision(3)}`) : 'no values';
    l.append(div(`${o.overlay.title}${o.overlay.unit ? ` (${o.overlay.unit})` : ''}`), ramp, div(range));
  } else if (vm) {
    const present = new Set<OpCategory>(vm.payload.ops.map(opCategory));
    for (const cat of Object.keys(categoryLabels) as OpCategory[]) if (present.has(cat)) l.append(swatch(theme.category[cat], categoryLabels[cat]));
  }
  for (const text of notes) l.append(div(text, 'note'));
}
