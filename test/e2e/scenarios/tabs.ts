// Weights and Run tabs on a real model in the real webview: the weight table lists every initializer the reader
// found, and a run reports the provider that ran, why the others were skipped, and one row per model output.
import { ok, strictEqual } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';

export async function weightsScenario(page: Page, wb: Workbench, opts: { weights: number; screenshot: string }): Promise<void> {
  await wb.openTab('weights');
  const wv = wb.webview();
  const rows = wv.locator('#mi-weights-tensors tbody tr');
  ok(await eventually(async () => (await rows.count()) > 0, 60_000), `the Weights tab shows no tensor rows: "${await wv.locator('#mi-weights-status').innerText().catch(String)}"`);
  strictEqual(await rows.count(), opts.weights, 'tensor rows in the Weights tab vs initializers from openModel');
  const status = (await wv.locator('#mi-weights-status').innerText()).trim();
  ok(new RegExp(`^${opts.weights} (weight )?tensors`).test(status), `status "${status}" does not count ${opts.weights} tensors`);
  console.log(`  weights: ${status}`);
  // Select the first tensor so the histogram shows one tensor, as a user would.
  await rows.first().click();
  await wv.locator('#mi-weights-chart-title').filter({ hasNotText: 'Whole model' }).waitFor({ timeout: 15_000 });
  await shot(page, opts.screenshot);
}

/** `provider`: the one that must run (default cpu). */
export async function runScenario(page: Page, wb: Workbench, opts: { outputs: string[]; screenshot: string; provider?: RegExp }): Promise<void> {
  await wb.openTab('run');
  const wv = wb.webview();
  await wv.locator('#mi-run-button').click();
  const provider = wv.locator('#mi-run-provider');
  const failed = wv.locator('#mi-run-error');
  ok(await eventually(async () => (await provider.isVisible()) || (await failed.isVisible()), 60_000), 'the run produced no result');
  if (await failed.isVisible()) throw new Error(`the run failed: ${await failed.innerText()}`);
  const ran = (await provider.getAttribute('data-value')) ?? '';
  ok((opts.provider ?? /^cpu$/).test(ran), `provider that ran: ${ran}`);
  // The default provider list asks for webgpu/cuda/dml/coreml first: each must say why it was passed over.
  const skipped = await wv.locator('#mi-run-skipped li').evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-provider') ?? '', li.textContent ?? '']));
  ok(skipped.length > 0, 'no skipped providers are listed');
  for (const [name, text] of skipped) ok(text.length > name.length + 3, `skipped provider ${name} has no reason: "${text}"`);
  const names = await wv.locator('#mi-run-outputs tbody tr td:first-child').allInnerTexts();
  strictEqual(names.join(','), opts.outputs.join(','), 'output rows vs the model outputs');
  const latency = await wv.locator('#mi-run-latency').getAttribute('data-p50');
  ok(Number(latency) > 0, `latency p50 "${latency}" is not positive`);
  console.log(`  run: provider ${ran}, p50 ${Number(latency).toFixed(3)} ms, skipped ${skipped.map(([n, t]) => `${n} (${t.slice(n.length + 2, n.length + 60)})`).join('; ')}`);
  await wv.locator('#mi-run-results').scrollIntoViewIfNeeded();
  await shot(page, opts.screenshot);
}
