// End-to-end: the packaged VSIX installed into a real VS Code (code-server 4.100.3 = VS Code 1.100.3), driven in
// Debian's Chromium by playwright-core. Run: node --import tsx --test test/e2e/e2e.test.ts  (after test/e2e/scripts/setup.sh
// has installed code-server; the test runs it if needed). Screenshots go to test-artifacts/e2e/.
import { ok, strictEqual } from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './driver/browser';
import { expectedSummary, showsCount } from './driver/expected';
import { baseUrl, paths } from './driver/paths';
import {
  bundleSuite, conformanceModel, installVsix, installedExtensionDir, makeWorkspace, packageVsix, resetUserSettings, setupCodeServer,
  startServer, stopServer, timed, vsixLimitBytes,
} from './driver/server';
import type { Result } from './suite/index';
import { Workbench, type Theme } from './driver/workbench';

const cnn = join(paths.examples, 'tiny-cnn.onnx');
const tfjsDir = join(paths.examples, 'tiny-mlp-tfjs');
const conv = conformanceModel('pytorch-converted/test_Conv2d');

let browser: Browser;
let vsix: { path: string; bytes: number };

/** Polls `fn` until it returns true (or the time is up), so assertions wait for the webview to render. */
async function eventually(fn: () => Promise<boolean>, ms = 30_000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Overview in the active custom editor shows what openModel + summarize say about `model`. */
async function checkOverview(wb: Workbench, model: string): Promise<void> {
  const want = await expectedSummary(model);
  const wv = wb.webview();
  const text = async (id: string) => (await wv.locator(`#${id}`).innerText({ timeout: 2_000 })).trim();
  await wv.locator('#mi-title').waitFor({ timeout: 60_000 });
  const error = wv.locator('#mi-error');
  if (await error.isVisible()) throw new Error(`the webview shows an error: ${await error.innerText()}`);
  ok(await eventually(async () => (await text('mi-node-count')) !== '' && showsCount(await text('mi-node-count'), want.nodeCount)),
    `#mi-node-count "${await text('mi-node-count').catch(String)}" does not show ${want.nodeCount} nodes`);
  ok(showsCount(await text('mi-param-count'), want.parameterCount),
    `#mi-param-count "${await text('mi-param-count')}" does not show ${want.parameterCount} parameters`);
  ok((await text('mi-title')).includes(want.file), `#mi-title "${await text('mi-title')}" does not name ${want.file}`);
  // The label is for people ("TF.js (layers)" for tfjs-layers): compare letters only.
  const letters = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const format = letters(await text('mi-format'));
  ok(want.format.split('-').every((part) => format.includes(letters(part))), `#mi-format "${await text('mi-format')}" is not ${want.format}`);
  const inputs = await text('mi-inputs');
  for (const i of want.inputs) ok(inputs.includes(i.name), `#mi-inputs lacks input ${i.name}: "${inputs}"`);
  const outputs = await text('mi-outputs');
  for (const o of want.outputs) ok(outputs.includes(o.name), `#mi-outputs lacks output ${o.name}: "${outputs}"`);
  console.log(`  overview ok: ${want.file} ${want.format}, ${want.nodeCount} nodes, ${want.parameterCount} parameters`);
}

/** Runs a scenario on a fresh page; on failure keeps a screenshot for the CI artifacts. */
async function scenario(name: string, fn: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.newPage();
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
}

describe('Model Inspector in code-server', { timeout: 15 * 60_000 }, () => {
  before(async () => {
    mkdirSync(paths.artifacts, { recursive: true });
    setupCodeServer();
    vsix = packageVsix();
    installVsix(vsix.path);
    resetUserSettings();
    startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    stopServer();
  });

  test('a) the VSIX is under 40 MB and installed with --install-extension', () => {
    ok(vsix.bytes < vsixLimitBytes, `VSIX is ${vsix.bytes} bytes`);
    const dir = installedExtensionDir();
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    const ours = JSON.parse(readFileSync(join(paths.root, 'package.json'), 'utf8')) as { name: string; version: string };
    strictEqual(manifest.name, ours.name);
    strictEqual(manifest.version, ours.version);
    ok(existsSync(join(dir, 'dist/host/extension.js')), 'the installed extension has no dist/host/extension.js');
    console.log(`  installed at ${dir}`);
  });

  test('b) Quick Open on a .onnx file shows the Overview with the right counts', () =>
    scenario('quick-open', async (page) => {
      const ws = makeWorkspace('quick-open', { 'tiny-cnn.onnx': cnn });
      const wb = new Workbench(page);
      await timed('workbench ready', () => wb.open(ws, { expectFile: 'tiny-cnn.onnx' }));
      await wb.quickOpen('tiny-cnn.onnx');
      await checkOverview(wb, join(ws, 'tiny-cnn.onnx'));
    }));

  test('c) Explorer right-click → "Inspect Model" opens a TF.js model.json', () =>
    scenario('explorer-menu', async (page) => {
      const ws = makeWorkspace('explorer-menu', { 'model.json': join(tfjsDir, 'model.json'), 'group1-shard1of1.bin': join(tfjsDir, 'group1-shard1of1.bin') });
      const wb = new Workbench(page);
      await wb.open(ws, { expectFile: 'model.json' });
      await wb.explorerContextMenu('model.json', 'Inspect Model');
      await checkOverview(wb, join(ws, 'model.json'));
    }));

  test('d) the palette command "Model Inspector: Inspect Model…" opens a conformance model', () =>
    scenario('palette', async (page) => {
      const ws = makeWorkspace('palette', { 'conv.onnx': conv });
      const wb = new Workbench(page);
      await wb.open(ws, { expectFile: 'conv.onnx' });
      await wb.runCommand('Model Inspector: Inspect Model');
      // No model is active, so the command asks for a file: answer with its path.
      await wb.answerQuickInput(join(ws, 'conv.onnx'));
      await checkOverview(wb, join(ws, 'conv.onnx'));
    }));

  test('e) extension tests inside the real extension host', async (t) => {
    const suite = await bundleSuite();
    const ws = makeWorkspace('host-tests', { 'tiny-cnn.onnx': cnn });
    const host = new URL(baseUrl).host;
    let results: Result[] = [];
    await scenario('extension-host', async (page) => {
      const exit = new Promise<number>((resolve) => void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code)));
      page.on('console', (m) => { if (m.text().includes('mi-e2e:')) console.log(`  ${m.text().replace(/^.*mi-e2e: /, '')}`); });
      await new Workbench(page).open(ws, {
        waitForExtension: false, // the suite may finish (and the exit fire) before the UI settles
        payload: [
          ['extensionDevelopmentPath', `vscode-remote://${host}${installedExtensionDir()}`],
          ['extensionTestsPath', `vscode-remote://${host}${suite}`],
        ],
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((r) => { timer = setTimeout(() => r('timeout'), 180_000); });
      const code = await Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
      ok(existsSync(paths.suiteResults), `the extension-host suite wrote no results (exit: ${code}); see ${paths.state}/code-server.log`);
      results = JSON.parse(readFileSync(paths.suiteResults, 'utf8')) as Result[];
      strictEqual(code, results.every((r) => r.ok) ? 0 : 1, 'exit code from the extension host');
    });
    ok(results.length > 0, 'no extension-host tests ran');
    for (const r of results) {
      await t.test(`${r.name} (${r.ms} ms in the extension host)`, () => {
        if (!r.ok) throw new Error(r.error);
      });
    }
  });

  test('f) Overview screenshots in a light and a dark theme', () =>
    scenario('themes', async (page) => {
      const ws = makeWorkspace('themes', { 'tiny-cnn.onnx': cnn });
      const wb = new Workbench(page);
      await wb.open(ws, { expectFile: 'tiny-cnn.onnx' });
      await wb.quickOpen('tiny-cnn.onnx');
      await checkOverview(wb, join(ws, 'tiny-cnn.onnx'));
      const backgrounds: string[] = [];
      for (const [theme, file] of [['Default Light Modern', 'overview-light.png'], ['Default Dark Modern', 'overview-dark.png']] as [Theme, string][]) {
        await wb.setTheme(theme);
        backgrounds.push(await wb.webview().locator('body').evaluate((b) => getComputedStyle(b).backgroundColor));
        await page.screenshot({ path: join(paths.artifacts, file) });
        console.log(`  ${theme}: webview background ${backgrounds.at(-1)} → ${join('test-artifacts/e2e', basename(file))}`);
      }
      ok(backgrounds[0] !== backgrounds[1], `the webview background did not follow the theme (${backgrounds.join(' / ')})`);
    }));
});
