// Opens the graph tab in headless Chromium behind the webview CSP, with the layout worker served from the same
// origin as the bundle (as the host passes it in body[data-layout-worker]). Used by the graph browser tests and bench.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { contentSecurityPolicy, makeNonce } from '../../src/host/webview-html';
import type { GraphNodeDetails, GraphPayload, GraphShapesResult } from '../../src/protocol/graph';
import type { Model } from '../../src/model/graph';
import { buildGraphPayload, resolveGraph } from '../../src/engine/graph-payload';
import { buildNodeDetails } from '../../src/engine/graph-details';
import { readSmallValues } from '../../src/engine/graph-folding';
import { runGraphShapes } from '../../src/engine/graph-shapes';
import { themes } from './themes';
import type { ThemeName } from './themes';

const root = resolve(__dirname, '../..');

export interface GraphPageServer {
  open(theme: ThemeName, size?: { width: number; height: number }): Promise<{ page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function startGraphPages(): Promise<GraphPageServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mi-graph-'));
  await build({
    entryPoints: { entry: join(root, 'test/browser/graph-entry.ts'), 'layout-worker': join(root, 'webview/graph/layout-worker.ts') },
    bundle: true, format: 'iife', platform: 'browser', target: 'chrome120', minify: true, outdir: dir, logLevel: 'silent',
  });
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    const theme = /^\/(light|dark)\.html$/.exec(path)?.[1] as ThemeName | undefined;
    if (theme) {
      const nonce = makeNonce();
      const vars = Object.entries(themes[theme]).map(([k, v]) => `${k}: ${v}`).join('; ');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><html style='${vars}'><head><meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(origin, nonce)}">` +
        `<style nonce="${nonce}">html,body{margin:0;height:100%;background:var(--vscode-editor-background)} #root{height:100vh}</style></head>` +
        `<body class="vscode-${theme}" data-layout-worker="${origin}/layout-worker.js"><div id="root"></div><script nonce="${nonce}" src="${origin}/entry.js"></script></body></html>`);
      return;
    }
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    const file = join(dir, path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_ARGS });
  return {
    async open(theme, size = { width: 1200, height: 800 }) {
      const page = await browser.newPage({ viewport: size });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' || /Content Security Policy|Refused to|layout worker/i.test(m.text())) problems.push(`console: ${m.text()}`);
      });
      await page.goto(`${origin}/${theme}.html`);
      return { page, problems };
    },
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface HostData {
  graphs: Record<string, string>;
  details: Record<string, GraphNodeDetails>;
  /** getGraphShapes' answer, from a real sample run (undefined: the host refuses, as a host that cannot run). */
  shapes?: GraphShapesResult;
}

/**
 * Payload JSON per graph id (main graph and every control-flow body) and details for every node, as the engine makes
 * them; with `shapes`, the edge shapes of one real sample run through the runtime, as the engine's getGraphShapes.
 */
export async function scriptedHostData(model: Model, withDetails = true, opts: { shapes?: boolean } = {}): Promise<HostData> {
  const graphs: Record<string, string> = {};
  const details: Record<string, GraphNodeDetails> = {};
  const visit = async (id: string) => {
    const p: GraphPayload = buildGraphPayload(model, id, await readSmallValues(resolveGraph(model, id).graph));
    graphs[id] = JSON.stringify(p);
    for (const n of p.nodes) {
      if (n.kind !== 'op') continue;
      if (withDetails) details[`${id}|${n.id}`] = buildNodeDetails(model, id, n.id);
      for (let i = 0; i < (n.subgraphs ?? 0); i++) await visit(`${n.id}:${i}`);
    }
  };
  await visit('');
  return { graphs, details, ...(opts.shapes ? { shapes: await runGraphShapes(model, { model }) } : {}) };
}

/** Injects the host data, mounts the tab and resolves when the first layout is on screen. */
export async function mountGraph(page: Page, data: HostData): Promise<{ firstPaintMs: number }> {
  // Strings, not functions: tsx would inject helpers (__name) that do not exist in the page.
  await page.evaluate(`window.__graphJson = ${JSON.stringify(data.graphs)}; window.__details = ${JSON.stringify(data.details)}; window.__shapes = ${JSON.stringify(data.shapes ?? null)};`);
  return page.evaluate(`new Promise((resolve) => {
    const rootEl = document.getElementById('root');
    let t0 = 0;
    rootEl.addEventListener('graph-rendered', () => requestAnimationFrame(() => resolve({ firstPaintMs: performance.now() - t0 })), { once: true });
    t0 = window.__start();
  })`);
}

/** Polls a page expression until it is truthy (page.waitForFunction evaluates with eval, which the CSP forbids). */
export async function waitFor(page: Page, expr: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expr))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
