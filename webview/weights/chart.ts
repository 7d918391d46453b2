import type { WireHistogram } from '../../src/protocol/stats';

/** One histogram to draw; several share the x axis when overlaid (their edges must match). */
export interface Series {
  label: string;
  histogram: WireHistogram;
}

const themeVar = (el: Element, name: string, fallback: string): string =>
  getComputedStyle(el).getPropertyValue(name).trim() || fallback;

/** Series colours from the theme's chart palette, so the chart follows light/dark/high-contrast themes. */
function palette(el: Element): string[] {
  return [
    themeVar(el, '--vscode-charts-blue', '#1a85ff'),
    themeVar(el, '--vscode-charts-orange', '#d18616'),
    themeVar(el, '--vscode-charts-green', '#388a34'),
    themeVar(el, '--vscode-charts-purple', '#652d90'),
    themeVar(el, '--vscode-charts-red', '#e51400'),
  ];
}

export const fmtNum = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e5 || a < 1e-3 ? x.toExponential(3) : String(Number(x.toPrecision(5)));
};

/**
 * Plain-canvas histogram (no chart library: the bundle stays small). Bars for one series, outlined steps for
 * overlays; linear or log count axis.
 */
export function drawHistogram(canvas: HTMLCanvasElement, series: Series[], opts: { log: boolean }): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 600;
  const cssH = canvas.clientHeight || 220;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const g = canvas.getContext('2d');
  if (!g) return;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  const fg = themeVar(canvas, '--vscode-foreground', '#888');
  const muted = themeVar(canvas, '--vscode-descriptionForeground', '#888');
  const font = themeVar(canvas, '--vscode-font-family', 'sans-serif');
  g.font = `11px ${font}`;
  const pad = { l: 52, r: 10, t: 8, b: 26 };
  const w = cssW - pad.l - pad.r;
  const h = cssH - pad.t - pad.b;
  const drawn = series.filter((s) => s.histogram.counts.length > 0);
  if (!drawn.length) {
    g.fillStyle = muted;
    g.fillText('no finite values', pad.l + 8, pad.t + 20);
    return;
  }
  const edges = drawn[0].histogram.edges;
  const lo = edges[0];
  const hi = edges[edges.length - 1];
  const bins = edges.length - 1;
  const ty = (c: number) => (opts.log ? Math.log10(1 + c) : c);
  const maxC = Math.max(1, ...drawn.flatMap((s) => s.histogram.counts.map(ty)));
  const x = (v: number) => pad.l + (hi > lo ? ((v - lo) / (hi - lo)) * w : w / 2);
  const y = (c: number) => pad.t + h - (ty(c) / maxC) * h;
  const colors = palette(canvas);
  drawn.forEach((s, i) => {
    const color = colors[i % colors.length];
    const c = s.histogram.counts;
    const e = s.histogram.edges;
    if (drawn.length === 1) {
      g.fillStyle = color;
      for (let k = 0; k < c.length; k++) {
        if (!c[k]) continue;
        const x0 = hi > lo ? x(e[k]) : pad.l + w / 2 - 4;
        const x1 = hi > lo ? x(e[k + 1]) : pad.l + w / 2 + 4;
        g.fillRect(x0, y(c[k]), Math.max(1, x1 - x0 - (bins > 200 ? 0 : 1)), pad.t + h - y(c[k]));
      }
    } else {
      g.strokeStyle = color;
      g.lineWidth = 1.5;
      g.beginPath();
      g.moveTo(x(e[0]), y(0));
      for (let k = 0; k < c.length; k++) {
        g.lineTo(x(e[k]), y(c[k]));
        g.lineTo(x(e[k + 1]), y(c[k]));
      }
      g.lineTo(x(e[c.length]), y(0));
      g.stroke();
      g.fillStyle = color;
      g.fillText(s.label, pad.l + w - g.measureText(s.label).width - 4, pad.t + 12 + i * 13);
    }
  });
  // Axes: baseline, zero marker, range labels and the count scale.
  g.strokeStyle = muted;
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(pad.l, pad.t + h + 0.5);
  g.lineTo(pad.l + w, pad.t + h + 0.5);
  g.stroke();
  if (lo < 0 && hi > 0) {
    g.setLineDash([3, 3]);
    g.beginPath();
    g.moveTo(x(0) + 0.5, pad.t);
    g.lineTo(x(0) + 0.5, pad.t + h);
    g.stroke();
    g.setLineDash([]);
  }
  g.fillStyle = fg;
  g.fillText(fmtNum(lo), pad.l, cssH - 8);
  const hiText = fmtNum(hi);
  g.fillText(hiText, pad.l + w - g.measureText(hiText).width, cssH - 8);
  const maxCount = Math.max(...drawn.flatMap((s) => s.histogram.counts));
  g.fillText(fmtNum(maxCount), 4, pad.t + 10);
  g.fillStyle = muted;
  g.fillText(opts.log ? 'log' : '0', 4, pad.t + h);
}
