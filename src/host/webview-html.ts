// Pure HTML builder for every Model Inspector webview. No `vscode` import, so the CSP can be unit-tested in
// plain Node; `webview-setup.ts` feeds it the real cspSource and URIs.
import { randomBytes } from 'node:crypto';
import type { ViewKind } from '../protocol/webview';

export interface WebviewHtmlInput {
  /** `webview.cspSource`: the only origin scripts, styles, images, fonts and workers may come from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
  view: ViewKind;
  title: string;
  /** The Graph tab's layout Web Worker script (dist/webview/layout-worker.js), passed as body[data-layout-worker]. */
  layoutWorkerUri?: string;
}

/**
 * The only folders (relative to the extension root) a webview may load from: our bundle and media. Nothing else of
 * the extension, and never the workspace (a model folder must not be able to feed scripts to the page).
 */
export const LOCAL_RESOURCE_ROOTS: readonly (readonly string[])[] = [['dist', 'webview'], ['media']];

/** 128 random bits, base64: a fresh one per render so an old page's nonce never unlocks a new one. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource}`,
    `worker-src ${cspSource} blob:`,
  ].join('; ') + ';';
}

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function buildWebviewHtml(input: WebviewHtmlInput): string {
  const { cspSource, scriptUri, styleUri, nonce, view, title, layoutWorkerUri } = input;
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(nonce)) throw new Error('nonce must be at least 16 base64 characters');
  const csp = contentSecurityPolicy(cspSource, nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttr(title)}</title>
<link rel="stylesheet" href="${escapeAttr(styleUri)}" nonce="${nonce}">
</head>
<body data-view="${view}"${layoutWorkerUri ? ` data-layout-worker="${escapeAttr(layoutWorkerUri)}"` : ''}>
<div id="mi-root"></div>
<script nonce="${nonce}" src="${escapeAttr(scriptUri)}"></script>
</body>
</html>
`;
}
