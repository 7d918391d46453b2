import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWebviewHtml, contentSecurityPolicy, makeNonce } from '../../src/host/webview-html';

const cspSource = 'https://abc.vscode-resource.vscode-cdn.net';

function render(nonce = makeNonce(), view: 'panel' | 'sidebar' = 'panel') {
  return buildWebviewHtml({
    cspSource,
    scriptUri: `${cspSource}/ext/dist/webview/main.js`,
    styleUri: `${cspSource}/ext/dist/webview/main.css`,
    nonce,
    view,
    title: 'a "quoted" <model>.onnx',
  });
}

/** Parses the CSP meta tag into directive -> sources. */
function cspOf(html: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'the page has a CSP meta tag');
  const out = new Map<string, string[]>();
  for (const part of m[1].split(';').map((s) => s.trim()).filter(Boolean)) {
    const [name, ...sources] = part.split(/\s+/);
    out.set(name, sources);
  }
  return out;
}

test('CSP denies by default and allows only the webview origin and the nonce', () => {
  const nonce = makeNonce();
  const csp = cspOf(render(nonce));
  assert.deepEqual(csp.get('default-src'), ["'none'"]);
  assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
  assert.deepEqual(csp.get('style-src'), [cspSource, `'nonce-${nonce}'`]);
  assert.deepEqual(csp.get('img-src'), [cspSource, 'data:', 'blob:']);
  assert.deepEqual(csp.get('font-src'), [cspSource]);
  assert.deepEqual(csp.get('worker-src'), [cspSource, 'blob:']);
  const all = [...csp.values()].flat().join(' ');
  assert.doesNotMatch(all, /unsafe-eval|unsafe-inline|\*|http:/);
  // Every directive in the page names only 'none', the nonce, the webview origin, data: or blob:.
  for (const s of [...csp.values()].flat()) assert.ok([`'none'`, `'nonce-${nonce}'`, cspSource, 'data:', 'blob:'].includes(s), s);
});

test('every script carries the nonce and there is no inline script', () => {
  const nonce = makeNonce();
  const html = render(nonce);
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  for (const s of scripts) {
    assert.match(s, new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
    assert.match(s, /src="https:\/\/abc\.vscode-resource/);
  }
  assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/, 'no inline script bodies');
  assert.doesNotMatch(html, /\son\w+=/i, 'no inline event handlers');
});

test('nonces are fresh per render and body names the view', () => {
  const seen = new Set(Array.from({ length: 50 }, makeNonce));
  assert.equal(seen.size, 50);
  for (const n of seen) assert.ok(Buffer.from(n, 'base64').length === 16);
  assert.match(render(undefined, 'sidebar'), /<body data-view="sidebar">/);
  assert.match(render(undefined, 'panel'), /<body data-view="panel">/);
  const withWorker = buildWebviewHtml({ cspSource, scriptUri: 's', styleUri: 'c', nonce: makeNonce(), view: 'panel', title: 't', layoutWorkerUri: `${cspSource}/w.js?a=1&b="2"` });
  assert.match(withWorker, /<body data-view="panel" data-layout-worker="https:\/\/abc\.vscode-resource\.vscode-cdn\.net\/w\.js\?a=1&amp;b=&quot;2&quot;">/);
});

test('the title is escaped and a weak nonce is refused', () => {
  const html = render();
  assert.match(html, /<title>a &quot;quoted&quot; &lt;model&gt;\.onnx<\/title>/);
  assert.throws(() => buildWebviewHtml({ cspSource, scriptUri: 'x', styleUri: 'y', nonce: 'abc', view: 'panel', title: 't' }));
  assert.match(contentSecurityPolicy(cspSource, 'n'.repeat(22)), /script-src 'nonce-n{22}';/);
});
