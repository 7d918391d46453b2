import type { ExplainMap } from '../../src/protocol/explain';

// How the Explain tab draws a map: images as a heatmap over the picture, other inputs (sequences, tabular) as one bar
// per element along the input. Magnitude maps use a sequential colormap, signed maps a diverging one.

/** max |v| (at least 1e-12): a loop, since spreading a 512×512 map into Math.max overflows the call stack. */
function largestMagnitude(values: number[]): number {
  let m = 1e-12;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

/** Sequential: black → yellow (viridis-like ramp); diverging: blue ← white → red. */
export function colormap(v: number, signed: boolean): [number, number, number] {
  if (signed) {
    const t = Math.max(-1, Math.min(1, v));
    return t >= 0 ? [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))] : [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
  }
  const t = Math.max(0, Math.min(1, v));
  return [Math.round(68 + t * (253 - 68)), Math.round(1 + t * (231 - 1)), Math.round(84 + t * (37 - 84))];
}

/** An image's map as a heatmap, over the image (channel mean, grey) at `opacity` when there is one. */
export function drawMap(canvas: HTMLCanvasElement, m: Pick<ExplainMap, 'shape' | 'values' | 'signed'>, image: number[] | undefined, opacity: number): void {
  const [H, W] = m.shape.length === 2 ? m.shape : [1, m.values.length];
  canvas.width = W;
  canvas.height = H;
  const g = canvas.getContext('2d');
  if (!g) return;
  const px = g.createImageData(W, H);
  const scale = largestMagnitude(m.values);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of image ?? []) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  for (let i = 0; i < H * W; i++) {
    const base = image ? Math.round(((image[i] - lo) / (hi - lo || 1)) * 255) : 0;
    const c = colormap(m.values[i] / scale, m.signed);
    const a = image ? opacity : 1;
    px.data.set([0, 1, 2].map((k) => Math.round(base * (1 - a) + c[k] * a)).concat(255), i * 4);
  }
  g.putImageData(px, 0, 0);
}


/** Bars area: CSS 240 × 90 px at twice the resolution. */
const BAR_W = 480;
const BAR_H = 180;

/**
 * A non-image input's attributions as bars along the input, element 0 at the left: signed maps grow up (red) or down
 * (blue) from the middle, magnitude maps up from the bottom. Inputs longer than the canvas is wide share a column,
 * which shows the largest |value| among them. Hovering says which element and its value (`title`).
 */
export function drawBars(canvas: HTMLCanvasElement, m: Pick<ExplainMap, 'values' | 'signed'>): void {
  canvas.width = BAR_W;
  canvas.height = BAR_H;
  const g = canvas.getContext('2d');
  if (!g) return;
  const n = m.values.length;
  const scale = largestMagnitude(m.values);
  const base = m.signed ? BAR_H / 2 : BAR_H;
  const reach = m.signed ? BAR_H / 2 - 2 : BAR_H - 2;
  const columns = Math.min(n, BAR_W);
  const colW = BAR_W / columns;
  g.clearRect(0, 0, BAR_W, BAR_H);
  for (let c = 0; c < columns; c++) {
    // Elements [i0, i1) share column c; the one with the largest |value| speaks for them.
    const i0 = Math.floor((c * n) / columns);
    const i1 = Math.max(i0 + 1, Math.floor(((c + 1) * n) / columns));
    let v = 0;
    for (let i = i0; i < i1; i++) if (Math.abs(m.values[i]) > Math.abs(v)) v = m.values[i];
    const t = v / scale;
    const [r, gr, b] = colormap(m.signed ? t : Math.abs(t), m.signed);
    g.fillStyle = `rgb(${r}, ${gr}, ${b})`;
    const len = Math.abs(t) * reach;
    const x = c * colW;
    const w = Math.max(1, colW - (colW > 3 ? 1 : 0));
    if (m.signed && t < 0) g.fillRect(x, base, w, len);
    else g.fillRect(x, base - len, w, len);
  }
  g.fillStyle = 'rgba(128, 128, 128, 0.6)';
  g.fillRect(0, Math.min(base, BAR_H - 1), BAR_W, 1);
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const i = Math.min(n - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / Math.max(1, rect.width)) * n)));
    canvas.title = `element ${i}: ${m.values[i].toPrecision(4)}`;
  });
}
