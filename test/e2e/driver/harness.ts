// Shared scenario plumbing: polling, the Overview check, a per-scenario page with timing and failure screenshots,
// and the console messages of every frame (workbench and webviews) for assertions such as "no layout fallback".
import { ok } from 'node:assert/strict';
import { join } from 'node:path';
import type { ConsoleMessage, Page } from 'playwright-core';
import type { ModelSummary } from '../../../src/protocol/summary';
import type { Browser } from './browser';
import { expectedSummary, showsCount } from './expected';
import { paths } from './paths';
import type { Workbench } from './workbench';

/** Polls `fn` until it returns true (or the time is up), so assertions wait for the webview to render. */
export async function eventually(fn: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Overview in the active custom editor shows what openModel + summarize say about `model`. `formatName` is the
 *  label a person expects when it does not spell the format id ("TensorFlow Lite" for tflite). */
export async function checkOverview(wb: Workbench, model: string, opts: { formatName?: string } = {}): Promise<ModelSummary> {
  const want = await expectedSummary(model);
  const wv = wb.webview();
  const text = async (id: string) => (await wv.locator(`#${id}`).innerText({ timeout: 2_000 })).trim();
  await wv.locator('#mi-title').waitFor({ timeout: 60_000 });
  const error = wv.locator('#mi-error');
  if (await error.isVisible()) throw new Error(`the webview shows an error: ${await error.innerText()}`);
  // A weights-only file (no node, input or output) gets one line naming its tensor count instead of those tables.
  const weightsOnly = want.totalNodeCount === 0 && !want.inputs.length && !want.outputs.length && want.weightCount > 0;
  if (weightsOnly) {
    ok(await eventually(async () => showsCount(await text('mi-weights-only'), want.weightCount)),
      `#mi-weights-only "${await text('mi-weights-only').catch(String)}" does not show ${want.weightCount} tensors`);
  } else {
    ok(await eventually(async () => (await text('mi-node-count')) !== '' && showsCount(await text('mi-node-count'), want.nodeCount)),
      `#mi-node-count "${await text('mi-node-count').catch(String)}" does not show ${want.nodeCount} nodes`);
  }
  ok(showsCount(await text('mi-param-count'), want.parameterCount),
    `#mi-param-count "${await text('mi-param-count')}" does not show ${want.parameterCount} parameters`);
  ok((await text('mi-title')).includes(want.file), `#mi-title "${await text('mi-title')}" does not name ${want.file}`);
  // The label is for people ("TF.js (layers)" for tfjs-layers): compare letters only.
  const letters = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const format = letters(await text('mi-format'));
  ok(format === letters(want.formatName) && (!opts.formatName || format === letters(opts.formatName)),
    `#mi-format "${await text('mi-format')}" is not ${opts.formatName ?? want.formatName}`);
  if (!weightsOnly) {
    const inputs = await text('mi-inputs');
    for (const i of want.inputs) ok(inputs.includes(i.name), `#mi-inputs lacks input ${i.name}: "${inputs}"`);
    const outputs = await text('mi-outputs');
    for (const o of want.outputs) ok(outputs.includes(o.name), `#mi-outputs lacks output ${o.name}: "${outputs}"`);
  }
  console.log(`  overview ok: ${want.file} ${want.format}, ${weightsOnly ? `weights only, ${want.weightCount} tensors` : `${want.nodeCount} nodes`}, ${want.parameterCount} parameters`);
  return want;
}

/** Console messages of the page and all its frames (VS Code webviews are nested iframes), in arrival order. */
export class ConsoleLog {
  readonly messages: { type: string; text: string }[] = [];
  constructor(page: Page) {
    page.on('console', (m: ConsoleMessage) => this.messages.push({ type: m.type(), text: m.text() }));
  }
  /** Messages whose text contains `needle` (e.g. our "[model-inspector]" prefix). */
  matching(needle: string): string[] {
    return this.messages.filter((m) => m.text.includes(needle)).map((m) => `${m.type}: ${m.text}`);
  }
}

/** Runs scenarios on fresh pages of one browser; prints timings, keeps a screenshot when one fails. */
export function scenarioRunner(getBrowser: () => Browser) {
  return async function scenario(name: string, fn: (page: Page) => Promise<void>): Promise<void> {
    const page = await getBrowser().newPage();
    const t0 = performance.now();
    try {
      await fn(page);
    } catch (e) {
      await page.screenshot({ path: join(paths.artifacts, `fail-${name}.png`) }).catch(() => undefined);
      throw e;
    } finally {
      console.log(`TIMING scenario ${name}: ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      await page.close().catch(() => undefined);
    }
  };
}

/** Saves a screenshot under test-artifacts/e2e/ and says where. */
export async function shot(page: Page, file: string): Promise<string> {
  const path = join(paths.artifacts, file);
  await page.screenshot({ path });
  console.log(`  screenshot → test-artifacts/e2e/${file}`);
  return path;
}
