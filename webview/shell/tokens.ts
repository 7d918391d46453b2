import { h } from './dom';

// A prompt's tokens drawn as chips over the text, each coloured by one number: the Run tab's surprise (−log p, a
// sequential orange) and the Explain tab's and side panel's attribution scores (signed: red raises the target,
// blue lowers it). Colours are translucent so the theme's text colour stays readable on light and dark themes.
// Colours go through the CSSOM (the webview CSP allows no style attributes).

export interface ChipToken {
  id: number;
  text: string;
}

/** A token's text as it can be seen: spaces kept, line breaks and tabs as symbols, an empty piece as ∅. */
export function visibleText(text: string): string {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\r/g, '').replace(/\t/g, '⇥');
}

/** Sequential: 0 → transparent, 1 → full orange. */
export function surpriseColour(t: number): string {
  const a = Math.max(0, Math.min(1, t));
  return `rgba(255, 140, 0, ${(0.85 * a).toFixed(3)})`;
}

/** Diverging: −1 → blue, 0 → transparent, +1 → red (the image maps' diverging colours). */
export function signedColour(t: number): string {
  const c = Math.max(-1, Math.min(1, t));
  return c >= 0 ? `rgba(230, 40, 40, ${(0.8 * c).toFixed(3)})` : `rgba(40, 100, 240, ${(-0.8 * c).toFixed(3)})`;
}

/**
 * One chip per token, in order. `colour` gives each chip its background, `title` its hover text; `data` adds data-*
 * attributes (the tests read the numbers from them, not from colours).
 */
export function tokenChips<T extends ChipToken>(id: string, tokens: T[], colour: (t: T, i: number) => string,
  title: (t: T, i: number) => string, data: (t: T, i: number) => Record<string, string>, small = false): HTMLElement {
  return h('div', { id, class: small ? 'mi-tokens mi-tokens-small' : 'mi-tokens' }, tokens.map((t, i) => {
    const attrs: Record<string, string> = { class: 'mi-token', 'data-index': String(i), 'data-id': String(t.id), title: title(t, i) };
    for (const [k, v] of Object.entries(data(t, i))) attrs[`data-${k}`] = v;
    const chip = h('span', attrs, visibleText(t.text));
    chip.style.backgroundColor = colour(t, i);
    return chip;
  }));
}

/** A legend strip: `stops` colours from left to right between the labels. */
export function legend(id: string, left: string, stops: string[], right: string, middle?: string): HTMLElement {
  const strip = h('span', { class: 'mi-token-legend-strip' }, stops.map((c) => {
    const s = h('span', { class: 'mi-token-legend-stop' });
    s.style.backgroundColor = c;
    return s;
  }));
  return h('div', { id, class: 'mi-token-legend mi-muted' }, h('span', {}, left), strip, middle !== undefined && h('span', {}, middle), h('span', {}, right));
}

/** Probabilities as the tabs print them: 3 significant digits in percent, tiny ones in exponent form. */
export function percent(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  const x = 100 * p;
  // 0.9998 is not 100%: near-certain ones keep the digits that say how near.
  if (x < 100 && x >= 99.95) return `${x.toFixed(Math.min(6, 1 + Math.ceil(-Math.log10(100 - x))))}%`;
  return x !== 0 && x < 0.01 ? `${x.toExponential(1)}%` : `${x < 10 ? x.toPrecision(3) : x.toFixed(1)}%`;
}
