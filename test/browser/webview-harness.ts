// Serves the real webview bundle behind the real CSP to headless Chromium and plays the host's side of the RPC
// from the test process (through a page binding), using the host's own WebviewChannel.
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Handlers, Transport } from '../../src/protocol/rpc';
import type { ViewKind, WebviewMethods } from '../../src/protocol/webview';
import { buildWebviewHtml, makeNonce } from '../../src/host/webview-html';
import { WebviewChannel, type WebviewRpc } from '../../src/host/webview-channel';
import { themes, type ThemeName } from './themes';

const root = resolve(__dirname, '../..');
const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.ttf': 'font/ttf', '.woff2': 'font/woff2' };

export interface Harness {
  origin: string;
  bundleBytes: { js: number; css: number };
  open(opts: OpenOptions): Promise<OpenedView>;
  close(): Promise<void>;
}

export interface OpenOptions {
  view: ViewKind;
  theme: ThemeName;
  handlers: Partial<Handlers<WebviewMethods>>;
  onReady(rpc: WebviewRpc): void;
  width?: number;
  height?: number;
}

export interface OpenedView {
  page: Page;
  channel: WebviewChannel;
  /** Raw messages the page sent (to check its answers to junk). */
  sent: unknown[];
  /** CSP violations and uncaught page errors. */
  problems: string[];
  /** Posts a raw message into the page as the host would. */
  post(message: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'mi-webview-'));
  await build({
    entryPoints: { main: join(root, 'webview/main.ts') },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    outdir: join(dir, 'dist/webview'),
    logLevel: 'silent',
  });
  const bundleBytes = { js: statSync(join(dir, 'dist/webview/main.js')).size, css: statSync(join(dir, 'dist/webview/main.css')).size };

  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const view = /^\/(panel|sidebar)\.html$/.exec(url.pathname)?.[1] as ViewKind | undefined;
    if (view) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(buildWebviewHtml({
        cspSource: origin,
        scriptUri: `${origin}/dist/webview/main.js`,
        styleUri: `${origin}/dist/webview/main.css`,
        nonce: makeNonce(),
        view,
        title: 'Model Inspector',
      }));
      return;
    }
    const file = join(dir, url.pathname);
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });

  return {
    origin,
    bundleBytes,
    open: (opts) => openView(browser, origin, opts),
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openView(browser: Browser, origin: string, opts: OpenOptions): Promise<OpenedView> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1000, height: opts.height ?? 900 },
    colorScheme: opts.theme === 'dark' ? 'dark' : 'light',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  const sent: unknown[] = [];
  let toHost: ((m: unknown) => void) | undefined;
  await page.exposeBinding('__miToHost', (_source, message: unknown) => {
    sent.push(message);
    toHost?.(message);
  });
  // A string, not a function: tsx would inject helpers (__name) that do not exist in the page.
  await page.addInitScript({ content: vscodeApiScript(themes[opts.theme]) });

  const post = (message: unknown) => page.evaluate((m) => window.postMessage(m, '*'), message as never);
  const transport: Transport = {
    send: (m) => void post(m).catch(() => undefined),
    listen: (h) => {
      toHost = h;
      return () => (toHost = undefined);
    },
  };
  const channel = new WebviewChannel(transport, opts.handlers, opts.onReady, () => undefined);
  await page.goto(`${origin}/${opts.view}.html`);
  return {
    page,
    channel,
    sent,
    problems,
    post,
    async close() {
      channel.dispose();
      await context.close();
    },
  };
}

/** The VS Code API as a webview sees it (one acquire per page); messages go to the test process. Theme variables go on
 * <html>, as VS Code does. */
function vscodeApiScript(vars: Record<string, string>): string {
  return `(() => {
  let state;
  let acquired = false;
  const api = {
    postMessage: (m) => { void window.__miToHost(m); },
    getState: () => state,
    setState: (s) => { state = s; },
  };
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return api;
  };
  const vars = ${JSON.stringify(vars)};
  const apply = () => { for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v); };
  if (document.documentElement) apply(); else document.addEventListener('DOMContentLoaded', apply);
})();`;
}
