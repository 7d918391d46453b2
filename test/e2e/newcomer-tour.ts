// A new user's tour (issue 14): opens each model in the running code-server (start it with scripts/demo.sh or
// test/e2e/scripts/start.sh on a workspace holding the models), visits Overview, Graph, Weights, Run, Explain and the
// Explanations side panel, times each step and saves a screenshot of each to test-artifacts/newcomer/<model>-<tab>.png.
// Not part of `npm test`: the big models it was written for (ResNet-50, ViT-B/16, a TF.js MobileNet) are not in CI.
// Usage: node --import tsx test/e2e/newcomer-tour.ts <workspace folder> <model path relative to it>... [--explain-s N]
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from './driver/browser';
import { eventually } from './driver/harness';
import { paths } from './driver/paths';
import { Workbench } from './driver/workbench';
import { graphState } from './scenarios/graph';

const out = join(paths.root, 'test-artifacts/newcomer');

function label(model: string): string {
  const name = basename(model);
  return (name === 'model.json' ? basename(dirname(model)) : name.replace(/\.[^.]+$/, '')).replace(/[^\w.-]/g, '_');
}

async function tour(page: Page, wb: Workbench, ws: string, model: string, explainS: number): Promise<Record<string, string>> {
  const id = label(model);
  const times: Record<string, string> = {};
  const shot = async (tab: string) => {
    const file = join(out, `${id}-${tab}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    try {
      const note = await fn();
      times[name] = `${((performance.now() - t0) / 1000).toFixed(1)}s${note ? ` (${String(note)})` : ''}`;
    } catch (e) {
      times[name] = `FAILED after ${((performance.now() - t0) / 1000).toFixed(1)}s: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      await shot(`${name}-failed`).catch(() => undefined);
    }
    console.log(`  ${id} ${name}: ${times[name]}`);
  };
  const wv = wb.webview();
  await wb.runCommand('View: Close All Editors');
  await page.waitForTimeout(500);
  await step('overview', async () => {
    await wb.runCommand('Model Inspector: Inspect Model');
    // The file dialog fills in its own folder once it has read it, which can overwrite a path typed too early.
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await page.waitForTimeout(1500);
    await input.fill(join(ws, model));
    await page.waitForTimeout(700);
    if ((await input.inputValue()) !== join(ws, model)) await input.fill(join(ws, model));
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await wv.locator('#mi-title').waitFor({ timeout: 120_000 });
    const error = wv.locator('#mi-error');
    const count = wv.locator('#mi-node-count');
    if (!(await eventually(async () => (await error.isVisible()) || (await count.innerText()).trim() !== '', 120_000))) throw new Error('no node count');
    if (await error.isVisible()) throw new Error(await error.innerText());
    await page.waitForTimeout(300);
    await shot('overview');
    return `${(await count.innerText()).trim()} nodes`;
  });
  await step('graph', async () => {
    await wb.openTab('graph');
    let s = await graphState(wb);
    if (!(await eventually(async () => ((s = await graphState(wb)), s.boxes > 0 && s.firstPaintMs > 0 && s.inkShare > 0.005), 120_000))) {
      throw new Error(`not drawn: ${JSON.stringify(s)}`);
    }
    await page.waitForTimeout(300);
    await shot('graph');
    return `first paint ${s.firstPaintMs.toFixed(0)} ms, ${s.boxes} boxes, ${s.status}`;
  });
  await step('weights', async () => {
    await wb.openTab('weights');
    const status = wv.locator('#mi-weights-status');
    await page.waitForTimeout(1000);
    await shot('weights-loading');
    if (!(await eventually(async () => !/^Computing/.test((await status.innerText()).trim()), 300_000))) throw new Error('statistics never arrived');
    await page.waitForTimeout(300);
    await shot('weights');
    const rows = wv.locator('#mi-weights-tensors tbody tr');
    if (await rows.count()) {
      await rows.first().click();
      await page.waitForTimeout(800);
      await shot('weights-tensor');
    }
    return (await status.innerText()).trim();
  });
  await step('run', async () => {
    await wb.openTab('run');
    await shot('run-form');
    await wv.locator('#mi-run-button').click();
    const provider = wv.locator('#mi-run-provider');
    const failed = wv.locator('#mi-run-error');
    await page.waitForTimeout(2000);
    await shot('run-progress');
    if (!(await eventually(async () => (await provider.isVisible()) || (await failed.isVisible()), 300_000))) throw new Error('no result');
    await page.waitForTimeout(300);
    await shot('run');
    if (await failed.isVisible()) throw new Error(await failed.innerText());
    return `p50 ${await wv.locator('#mi-run-latency').getAttribute('data-p50')} ms`;
  });
  await step('explain', async () => {
    await wb.openTab('explain');
    await page.waitForTimeout(500);
    await shot('explain-form');
    await wv.locator('#mi-explain-run').click();
    const maps = wv.locator('.mi-explain-map canvas');
    const error = wv.locator('#mi-explain-error');
    const status = wv.locator('#mi-explain-status');
    const t0 = Date.now();
    let progress = '';
    let midShot = false;
    const done = await eventually(async () => {
      const s = (await status.innerText()).trim();
      if (!midShot && Date.now() - t0 > 30_000) {
        midShot = true;
        await shot('explain-progress');
      }
      if (s && s !== progress) {
        progress = s;
        console.log(`    [${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);
      }
      return (await maps.count()) > 0 || (await error.isVisible());
    }, explainS * 1000);
    if (!done) {
      await shot('explain-progress');
      await wv.locator('#mi-explain-cancel').click();
      const tc = Date.now();
      await eventually(async () => !(await wv.locator('#mi-explain-cancel').isVisible()), 60_000);
      await shot('explain-cancelled');
      throw new Error(`not done in ${explainS}s (last status "${progress}"); Cancel took ${((Date.now() - tc) / 1000).toFixed(1)}s`);
    }
    await page.waitForTimeout(500);
    await shot('explain');
    if (await error.isVisible()) throw new Error(await error.innerText());
    return `${await maps.count()} maps; ${(await wv.locator('#mi-explain-top').innerText()).trim().slice(0, 80)}`;
  });
  await step('side', async () => {
    // Our activity-bar entry; clicking it while it is the shown container would hide the side bar again.
    const item = page.locator('.activitybar .action-item a[aria-label^="Model Inspector"]');
    if ((await item.getAttribute('aria-expanded')) !== 'true') await item.click();
    await page.waitForTimeout(2500);
    await shot('side');
    return (await wb.sideView().locator('#mi-side-title').innerText().catch(() => '')).trim();
  });
  // Leave the side bar on the Explorer for the next model.
  await wb.runCommand('View: Show Explorer');
  return times;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ei = args.indexOf('--explain-s');
  const explainS = ei >= 0 ? Number(args.splice(ei, 2)[1]) : 180;
  const [wsArg, ...models] = args;
  const ws = wsArg ? resolve(wsArg) : '';
  if (!wsArg || !models.length) throw new Error('usage: newcomer-tour.ts <workspace> <model>... [--explain-s N]');
  mkdirSync(out, { recursive: true });
  const browser = await launchBrowser();
  const all: Record<string, Record<string, string>> = {};
  try {
    const page = await browser.newPage();
    const wb = new Workbench(page);
    await wb.open(ws, { expectFile: 'tiny-cnn.onnx' });
    for (const m of models) all[m] = await tour(page, wb, ws, m, explainS);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(all, null, 1));
}

main().catch((e: unknown) => {
  console.error(`tour failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
