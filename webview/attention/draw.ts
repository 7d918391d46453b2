// Drawing for the Attention tab: thumbnails (bytes from the engine) and one head's map with the prompt's tokens on
// both axes. Weights go through a single-hue ramp (white → deep blue on light themes, black → bright on dark) so that
// zero is the background and the strongest weight stands out.
import { readTheme } from '../graph/theme';

/** base64 → bytes (thumbnails and the head map travel as base64 strings). */
export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function ramp(v: number, dark: boolean): [number, number, number] {
  // v in [0, 1]
  const t = Math.sqrt(Math.max(0, Math.min(1, v))); // weak weights still visible, as in attention viewers
  return dark ? [Math.round(20 + 60 * t), Math.round(20 + 160 * t), Math.round(30 + 225 * t)] : [Math.round(255 - 230 * t), Math.round(255 - 160 * t), Math.round(255 - 40 * t)];
}

export function isDark(): boolean {
  const kind = readTheme().kind;
  return kind === 'dark' || (kind === 'hc' && !document.body.classList.contains('vscode-high-contrast-light'));
}

/** A rows × cols byte thumbnail into a canvas of the same size (CSS scales it up, pixelated). */
export function drawThumb(canvas: HTMLCanvasElement, bytes: Uint8Array, rows: number, cols: number): void {
  canvas.width = cols;
  canvas.height = rows;
  const g = canvas.getContext('2d')!;
  const img = g.createImageData(cols, rows);
  const dark = isDark();
  for (let k = 0; k < rows * cols; k++) {
    const [r, gg, b] = ramp(bytes[k] / 255, dark);
    img.data[k * 4] = r;
    img.data[k * 4 + 1] = gg;
    img.data[k * 4 + 2] = b;
    img.data[k * 4 + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}

export interface MapLayout {
  /** Pixels per cell, the label margin, and how many labels are skipped between two drawn. */
  cell: number;
  margin: number;
  every: number;
}

/**
 * One head's map: cells scaled to the head's maximum, or each row to its own (long prompts: a causal row i spreads
 * over i keys, so later rows fade next to the first), token labels along the top (keys) and left (queries).
 */
export function drawHeadMap(canvas: HTMLCanvasElement, w: Float32Array, rows: number, cols: number, tokens: string[], perRow = false): MapLayout {
  const cell = Math.max(1, Math.min(24, Math.floor(560 / Math.max(rows, cols))));
  const margin = 72;
  const every = Math.max(1, Math.ceil(11 / cell));
  canvas.width = margin + cols * cell;
  canvas.height = margin + rows * cell;
  const g = canvas.getContext('2d')!;
  const dark = isDark();
  const fg = getComputedStyle(document.body).color || (dark ? '#ddd' : '#222');
  g.clearRect(0, 0, canvas.width, canvas.height);
  let headMax = 0;
  for (const v of w) if (v > headMax) headMax = v;
  const img = g.createImageData(cols * cell, rows * cell);
  for (let i = 0; i < rows; i++) {
    let max = headMax;
    if (perRow) {
      max = 0;
      for (let j = 0; j < cols; j++) if (w[i * cols + j] > max) max = w[i * cols + j];
    }
    for (let j = 0; j < cols; j++) {
      const [r, gg, b] = ramp(max > 0 ? w[i * cols + j] / max : 0, dark);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          const p = ((i * cell + y) * cols * cell + j * cell + x) * 4;
          img.data[p] = r;
          img.data[p + 1] = gg;
          img.data[p + 2] = b;
          img.data[p + 3] = 255;
        }
      }
    }
  }
  g.putImageData(img, margin, margin);
  g.fillStyle = fg;
  g.font = `${Math.min(11, Math.max(8, cell - 2))}px sans-serif`;
  const label = (k: number) => (tokens[k] ?? `${k}`).replace(/\s/g, '·').slice(0, 10);
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let i = 0; i < rows; i += every) g.fillText(label(i), margin - 3, margin + i * cell + cell / 2);
  g.save();
  for (let j = 0; j < cols; j += every) {
    g.setTransform(1, 0, 0, 1, margin + j * cell + cell / 2, margin - 3);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(label(j), 0, 0);
  }
  g.restore();
  return { cell, margin, every };
}
