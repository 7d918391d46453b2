// Explain tab on the shapes example with its example input: saliency maps drawn for the default methods.
import { ok } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';

/** Returns undefined when it ran, or why it could not (the tab is still the "coming soon" placeholder). */
export async function explainScenario(page: Page, wb: Workbench, opts: { model: string; input: string }): Promise<{ skipped?: string; sideText?: string }> {
  await wb.quickOpen(opts.model);
  await wb.webview().locator('#mi-title').waitFor({ timeout: 60_000 });
  await wb.openTab('explain');
  const run = wb.webview().locator('#mi-explain-run');
  if (!(await run.isVisible({ timeout: 3_000 }).catch(() => false))) {
    return { skipped: 'the Explain tab is not registered in webview/shell/tabs.ts yet (still the coming-soon placeholder)' };
  }
  // The tab offers the example .npy files found next to the model; pick the one asked for.
  const source = wb.webview().locator('#mi-explain-source');
  const label = `example: ${opts.input}`;
  ok(await eventually(async () => (await source.locator('option', { hasText: label }).count()) > 0, 30_000), `the input list has no "${label}"`);
  await source.selectOption({ label });
  await run.click();
  const maps = wb.webview().locator('.mi-explain-map canvas');
  const error = wb.webview().locator('#mi-explain-error');
  ok(await eventually(async () => (await maps.count()) > 0 || (await error.isVisible()), 120_000), 'no saliency map appeared');
  if (await error.isVisible()) throw new Error(`Explain failed: ${await error.innerText()}`);
  const top = (await wb.webview().locator('#mi-explain-top').innerText()).trim();
  console.log(`  explain: ${await maps.count()} maps; ${top}`);
  await shot(page, 'explain-shapes.png');
  await wb.openSideView();
  const sideText = (await wb.sideView().locator('#mi-side-explanation').innerText()).trim();
  await shot(page, 'explain-side-panel.png');
  return { sideText };
}
