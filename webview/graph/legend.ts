import { categoryLabels, opCategory } from './categories';
import type { OpCategory } from './categories';
import type { OverlayScale } from './renderer';
import { rampColor } from './renderer';
import type { Theme } from './theme';
import type { GraphViewModel } from './view-model';

/** The legend: the overlay's colour ramp and range when an overlay is shown, else the op categories present. */
export function renderLegend(l: HTMLElement, scale: OverlayScale | undefined, vm: GraphViewModel | undefined, theme: Theme): void {
  l.replaceChildren();
  if (scale) {
    const o = scale;
    const title = document.createElement('div');
    title.textContent = `${o.overlay.title}${o.overlay.unit ? ` (${o.overlay.unit})` : ''}`;
    const ramp = document.createElement('div');
    ramp.className = 'ramp';
    const div = o.overlay.scale === 'diverging';
    ramp.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => rampColor(t, div)).join(', ')})`;
    const range = document.createElement('div');
    const lim = Math.max(Math.abs(o.min), Math.abs(o.max));
    range.textContent = Number.isFinite(o.min) ? (div ? `−${lim.toPrecision(3)} … 0 … ${lim.toPrecision(3)}` : `${o.min.toPrecision(3)} … ${o.max.toPrecision(3)}`) : 'no values';
    l.append(title, ramp, range);
    return;
  }
  if (!vm) return;
  const present = new Set<OpCategory>(vm.payload.ops.map(opCategory));
  for (const cat of Object.keys(categoryLabels) as OpCategory[]) {
    if (!present.has(cat)) continue;
    const row = document.createElement('div');
    const sw = document.createElement('span');
    sw.className = 'sw';
    sw.style.background = theme.category[cat];
    row.append(sw, categoryLabels[cat]);
    l.append(row);
  }
}
