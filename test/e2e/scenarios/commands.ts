// Commands through the workbench UI: Quick Inference from the palette, and crash isolation (the engine killed mid-job
// by the test-only command bound in test/e2e/keybindings.json) with the error view, Retry, and a live extension host.
import { ok } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { checkOverview, shot } from '../driver/harness';
import { crashEngineKey } from '../driver/server';
import type { Workbench } from '../driver/workbench';

/** Runs "Model Inspector: Quick Inference", picks the workspace model `file` and a synthesized input.
 *  Returns the notification's text ("<file>: <top-1> · cpu · p50 … ms"). */
export async function quickInference(page: Page, wb: Workbench, opts: { file: string; screenshot: string }): Promise<string> {
  await wb.runCommand('Model Inspector: Quick Inference');
  // Two quick picks: the model (workspace models, the active one marked) and the input (synthesized random normal).
  await wb.answerQuickInput(opts.file); // the row's label starts with a file icon: Enter takes the one filtered row
  await wb.answerQuickInput('Random normal', 'Random normal');
  // The result toast starts with "<file>:"; the progress toast ("Running <file>: …") must not match.
  const escaped = opts.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const message = page.locator('.notifications-toasts .notification-list-item-message', { hasText: new RegExp(`^${escaped}: `) }).first();
  await message.waitFor({ timeout: 90_000 });
  const text = (await message.innerText()).trim();
  // The progress toast closes once the run is done.
  await page.locator('.notifications-toasts .notification-list-item-message', { hasText: `Running ${opts.file}` }).waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => console.log('  note: the "Running …" progress toast was still shown 10 s after the result'));
  ok(/·\s*cpu\s*·\s*p50 [\d.]+ ms/.test(text), `Quick Inference said "${text}", not "<result> · cpu · p50 … ms"`);
  ok(!/failed|error/i.test(text), `Quick Inference reported a failure: "${text}"`);
  console.log(`  quick inference: ${text}`);
  await shot(page, opts.screenshot);
  return text;
}

export async function crashScenario(page: Page, wb: Workbench, opts: { model: string; path: string }): Promise<void> {
  await wb.quickOpen(opts.model);
  await checkOverview(wb, opts.path);
  const t0 = performance.now();
  await wb.press(crashEngineKey);
  const error = wb.webview().locator('#mi-error');
  await error.waitFor({ timeout: 30_000 });
  const message = (await error.innerText()).trim();
  console.log(`  error view after ${((performance.now() - t0) / 1000).toFixed(1)}s: ${message.replace(/\s+/g, ' ')}`);
  ok(message.includes(opts.model), `the error view does not name ${opts.model}: "${message}"`);
  ok(/engine/i.test(message), `the error view does not say the engine stopped: "${message}"`);
  const retry = wb.webview().locator('#mi-retry');
  ok(await retry.isVisible(), 'the error view has no Retry button');
  await shot(page, 'crash-error-view.png');
  const t1 = performance.now();
  await retry.click();
  await checkOverview(wb, opts.path);
  console.log(`  Retry brought the Overview back in ${((performance.now() - t1) / 1000).toFixed(1)}s`);
  // The extension host outlived the engine: another of our commands still runs, on a new engine.
  await quickInference(page, wb, { file: opts.model, screenshot: 'crash-then-quick-inference.png' });
}
