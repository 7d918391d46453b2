// Node labels on overlay colours (compare, activations, profile): the text colour follows the fill, so every colour
// of both ramps keeps labels readable (WCAG contrast ≥ 4.5, computed here), where the theme's own foreground does not
// (light grey on the ramp's yellow end in a dark theme, near-black on its purple end in a light one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rampColor, textOn } from '../../webview/graph/renderer';

function rgb(c: string): number[] {
  const hex = /^#([0-9a-f]{6})$/i.exec(c);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  return (c.match(/\d+/g) ?? []).slice(0, 3).map(Number);
}

function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = rgb(c).map((v) => {
      const x = v / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('labels on every overlay colour have a contrast of at least 4.5', () => {
  for (const diverging of [false, true]) {
    for (let i = 0; i <= 100; i++) {
      const fill = rampColor(i / 100, diverging);
      const c = contrast(textOn(fill).foreground, fill);
      assert.ok(c >= 4.5, `${diverging ? 'diverging' : 'sequential'} t=${i / 100} ${fill}: contrast ${c.toFixed(2)}`);
    }
  }
});

test('the themes\' default foregrounds alone would not do (why the text follows the fill)', () => {
  assert.ok(contrast('#cccccc', rampColor(1, false)) < 2, 'dark theme text on the ramp\'s top');
  assert.ok(contrast('#1f1f1f', rampColor(0, false)) < 2, 'light theme text on the ramp\'s bottom');
});
