import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// The webview CSP has no 'unsafe-inline' for styles, so a style attribute is silently dropped (and reported as a
// violation). Styles go in CSS classes, or through element.style from script, which the CSP allows.
test('webview code sets no style attributes', () => {
  const offenders: string[] = [];
  (function walk(dir: string) {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          if (/\bstyle:\s*['"`]|setAttribute\(\s*['"]style['"]|style=["']/.test(line)) offenders.push(`${p}:${i + 1}: ${line.trim()}`);
        });
      }
    }
  })('webview');
  assert.deepEqual(offenders, []);
});
