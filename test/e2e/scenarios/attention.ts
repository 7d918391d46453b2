// Attention tab on a 6-layer transformer built with torch (ids-only prompt): the layer × head grid, one head's map
// with hover weights, and the logit lens table, in the installed extension.
import { ok, strictEqual } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';

export async function attentionScenario(page: Page, wb: Workbench, opts: { model: string; prompt: string; layers: number; heads: number; tokens: number }): Promise<void> {
  await wb.quickOpen(opts.model);
  await wb.webview().locator('#mi-title').waitFor({ timeout: 60_000 });
  await wb.openTab('attention');
  const wv = wb.webview();
  await wv.locator('#mi-attn-prompt').fill(opts.prompt);
  await wv.locator('#mi-attn-target').fill('5');
  await wv.locator('#mi-attn-run').click();
  const error = wv.locator('#mi-attn-error');
  ok(await eventually(async () => (await wv.locator('#mi-attn-lens').count()) > 0 || (await error.isVisible()), 120_000), 'no lens table appeared');
  if (await error.isVisible()) throw new Error(`Attention failed: ${await error.innerText()}`);
  strictEqual(await wv.locator('canvas.mi-attn-thumb').count(), opts.layers * opts.heads);
  await wv.locator(`canvas.mi-attn-thumb[data-layer="${opts.layers - 1}"][data-head="1"]`).click();
  await wv.locator('#mi-attn-role', { hasText: `Layer ${opts.layers - 1}, head 1` }).waitFor({ timeout: 30_000 });
  const map = wv.locator('#mi-attn-map');
  // a 72 px label margin, then one square cell per token, in canvas pixels (the page may show it scaled)
  const { width, shown } = await map.evaluate((c: HTMLCanvasElement) => ({ width: c.width, shown: c.getBoundingClientRect().width }));
  const cell = (width - 72) / opts.tokens;
  const k = shown / width;
  await map.hover({ position: { x: (72 + cell * 1.5) * k, y: (72 + cell * 3.5) * k } });
  ok(await eventually(async () => /query 3 .* key 1 .*: [\d.]+$/.test(await wv.locator('#mi-attn-hover').innerText()), 5_000),
    `hovering the map shows no weight: "${await wv.locator('#mi-attn-hover').innerText()}"`);
  await wv.locator('#mi-attn-role').scrollIntoViewIfNeeded();
  await shot(page, 'attention.png');
  strictEqual(await wv.locator('#mi-attn-lens tbody tr').count(), opts.layers);
  strictEqual(await wv.locator('#mi-attn-lens tbody tr').first().locator('td').count(), opts.tokens + 1);
  console.log(`  attention: ${await wv.locator('#mi-attn-role').innerText()} | ${await wv.locator('#mi-attn-hover').innerText()}`);
  await wv.locator('#mi-attn-lens').scrollIntoViewIfNeeded();
  await shot(page, 'attention-lens.png');
}
