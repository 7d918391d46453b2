// The webview is untrusted. (1) Every page the host builds runs under a strict CSP and may load only our bundle and
// media. (2) Every message from a page is validated: forged, malformed, oversized and prototype-polluting messages
// are rejected, logged, and nothing reaches the engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { buildWebviewHtml, LOCAL_RESOURCE_ROOTS, makeNonce } from '../../src/host/webview-html';
import { ModelHandle } from '../../src/host/model-handle';
import { PanelSession } from '../../src/host/panel-session';
import type { Transport } from '../../src/protocol/rpc';
import type { WireMessage } from '../../src/protocol/wire';
import { buildEngine, removeBuild } from '../support/build-engine';
import { recordingCaller } from '../support/recording-caller';

const root = resolve(__dirname, '../..');
const conv = '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx';
const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';

function csp(html: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'CSP meta tag');
  return new Map(m[1].split(';').map((s) => s.trim()).filter(Boolean).map((d) => {
    const [name, ...sources] = d.split(/\s+/);
    return [name, sources] as [string, string[]];
  }));
}

test('every view (panel with its layout worker, side view) gets a strict CSP', () => {
  for (const view of ['panel', 'sidebar'] as const) {
    const nonce = makeNonce();
    const html = buildWebviewHtml({
      cspSource, nonce, view, title: 'm.onnx',
      scriptUri: `${cspSource}/x/dist/webview/main.js`,
      styleUri: `${cspSource}/x/dist/webview/main.css`,
      layoutWorkerUri: view === 'panel' ? `${cspSource}/x/dist/webview/layout-worker.js` : undefined,
    });
    const p = csp(html);
    assert.deepEqual(p.get('default-src'), ["'none'"], view);
    assert.deepEqual(p.get('script-src'), [`'nonce-${nonce}'`], `${view}: scripts only with the nonce`);
    for (const [name, sources] of p) {
      for (const s of sources) {
        assert.doesNotMatch(s, /unsafe-eval|unsafe-inline|unsafe-hashes|wasm-unsafe-eval/, `${view} ${name}: ${s}`);
        // No remote origins: only the webview's own resource origin, the nonce, data: / blob:, 'none'.
        assert.ok(s === cspSource || s === "'none'" || s === `'nonce-${nonce}'` || s === 'data:' || s === 'blob:', `${view} ${name} allows ${s}`);
        assert.notEqual(s, '*');
        assert.doesNotMatch(s, /^(http:|https:|ws:|wss:)$/);
      }
    }
    assert.equal(p.has('connect-src'), false, 'no network connections at all');
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.ok(scripts.length >= 1 && scripts.every((s) => s.includes(`nonce="${nonce}"`)), `${view}: every script has the nonce`);
  }
});

test('webviews may load only dist/webview and media, and every webview is set up through that one builder', () => {
  assert.deepEqual(LOCAL_RESOURCE_ROOTS, [['dist', 'webview'], ['media']]);
  const host = join(root, 'src/host');
  const sources = readdirSync(host).filter((f) => f.endsWith('.ts')).map((f) => ({ f, text: readFileSync(join(host, f), 'utf8') }));
  // Only webview-setup.ts assigns html/options or names localResourceRoots; panel and side view call setupWebview.
  for (const { f, text } of sources) {
    if (f === 'webview-setup.ts') continue;
    assert.doesNotMatch(text, /\.html\s*=|\.options\s*=|localResourceRoots|enableCommandUris/, `${f} configures a webview itself`);
  }
  const setup = sources.find((s) => s.f === 'webview-setup.ts')!.text;
  assert.match(setup, /localResourceRoots: LOCAL_RESOURCE_ROOTS\.map/);
  assert.doesNotMatch(setup, /enableCommandUris|enableForms/);
  for (const f of ['custom-editor.ts', 'side-view.ts']) assert.match(sources.find((s) => s.f === f)!.text, /setupWebview\(/, f);
});

// ---- hostile messages against a PanelSession over the real engine ----

let enginePath: string;
let engine: EngineClient;
before(async () => {
  enginePath = await buildEngine();
  engine = new EngineClient({ enginePath });
});
after(() => {
  engine?.dispose();
  if (enginePath) removeBuild(enginePath);
});

/** A panel whose page side is a raw postMessage pipe, so the test can send anything at all. */
function rawPanel() {
  let toHost: ((m: unknown) => void) | undefined;
  const replies: WireMessage[] = [];
  const transport: Transport = {
    send: (m) => replies.push(structuredClone(m)),
    listen: (h) => {
      toHost = h;
      return () => (toHost = undefined);
    },
  };
  const asked: string[] = [];
  const caller = recordingCaller(engine, asked);
  const logs: string[] = [];
  const log = (l: string, m: string) => logs.push(`${l}: ${m}`);
  const selected: string[] = [];
  const handle = new ModelHandle(conv, 'model.onnx', () => caller, log);
  const session = new PanelSession({ transport, model: handle, engine: () => caller, isTrusted: () => true, log, onSelectNode: (id) => selected.push(id) });
  // What a page's postMessage delivers: a JSON round trip (own "__proto__" keys survive it as data).
  const send = (json: string) => toHost?.(JSON.parse(json));
  return { session, handle, replies, asked, logs, selected, send };
}

const tick = () => new Promise((r) => setTimeout(r, 30));

test('forged, malformed, oversized and prototype-polluting messages are rejected, logged, and never executed', async () => {
  const p = rawPanel();
  p.send('{"t":"req","id":1,"method":"getGraph","params":{}}');
  await tick();
  assert.equal(p.replies.length, 0, 'nothing is answered before the ready handshake');
  assert.ok(p.logs.some((l) => /before its ready handshake was dropped/.test(l)));
  p.send('{"t":"ready","info":{}}');
  await tick();
  assert.equal(p.replies.filter((r) => r.t === 'event').length, 1, 'init');

  const big = 'x'.repeat(5_000_000);
  const requests: [string, string, RegExp][] = [
    // [method, params JSON, expected error code]
    ['open', '{"path":"/etc/passwd"}', /unknown-method/],
    ['crashForTest', '{}', /unknown-method/],
    ['sleepForTest', '{"ms":100000}', /unknown-method/],
    ['__proto__', '{}', /unknown-method/],
    ['constructor', '{}', /unknown-method/],
    ['hasOwnProperty', '{}', /unknown-method/],
    ['getGraph', '{"modelId":"m1.1"}', /bad-request/],
    ['getGraph', '{"__proto__":{"polluted":true}}', /bad-request/],
    ['getGraph', '{"constructor":{"prototype":{"polluted":true}}}', /bad-request/],
    ['getGraph', '{"toString":"x"}', /bad-request/],
    ['getGraph', '[]', /bad-request/],
    ['getGraph', '"getGraph"', /bad-request/],
    ['getGraph', `{"graph":"${big}"}`, /bad-request/],
    ['getNodeDetails', '{"nodeId":7}', /bad-request/],
    ['getNodeDetails', '{"nodeId":null}', /bad-request/],
    ['getOverview', '{"x":1}', /bad-request/],
    ['retry', '{"__proto__":{}}', /bad-request/],
    ['run', '{"runs":1e9}', /bad-request/],
    ['run', '{"runs":-1}', /bad-request/],
    ['run', '{"seed":0.5}', /bad-request/],
    ['run', '{"providers":["evil"]}', /bad-request/],
    ['run', '{"providers":"cpu"}', /bad-request/],
    ['run', `{"inputs":[{"file":"${big}"}]}`, /bad-request/],
    ['run', `{"inputs":[${Array(65).fill('{}').join(',')}]}`, /bad-request/],
    ['run', '{"inputs":[{"file":"/etc/passwd","extra":1}]}', /bad-request/],
    ['run', '{"dims":{"__proto__":{"n":1}}}', /bad-request/],
    ['run', '{"dims":{"n":"1; rm -rf /"}}', /bad-request/],
    ['run', `{"dims":{"${'k'.repeat(300)}":1}}`, /bad-request/],
    ['run', '{"__proto__":{"runs":1}}', /bad-request/],
    ['run', '{"runs":1,"modelId":"m1.1"}', /bad-request/],
  ];
  let id = 10;
  for (const [method, params] of requests) p.send(`{"t":"req","id":${id++},"method":${JSON.stringify(method)},"params":${params}}`);
  // Broken envelopes: no id, bad ids, unknown types, non-objects. These get no reply (there is nobody to answer).
  for (const raw of ['null', '42', '"ready"', '[]', '{}', '{"t":"req","method":"getGraph"}', '{"t":"req","id":-1,"method":"getGraph","params":{}}',
    '{"t":"req","id":1.5,"method":"getGraph","params":{}}', '{"t":"req","id":99,"method":"","params":{}}', '{"t":"exec","cmd":"ls"}',
    '{"t":"__proto__"}', '{"t":"cancel","id":"all"}', '{"t":"res","id":1,"result":{}}']) {
    p.send(raw);
  }
  // Events: unknown names, wrong shapes, oversized fields, polluting keys.
  for (const raw of ['{"t":"event","name":"runModel","payload":{}}', '{"t":"event","name":"__proto__","payload":{"polluted":true}}',
    `{"t":"event","name":"selectNode","payload":{"nodeId":"${'n'.repeat(5000)}"}}`, '{"t":"event","name":"selectNode","payload":{"nodeId":"a","__proto__":{"polluted":true}}}',
    '{"t":"event","name":"log","payload":{"level":"debug","message":"x"}}', `{"t":"event","name":"log","payload":{"level":"info","message":"${big}"}}`,
    '{"t":"event","name":"tab","payload":null}']) {
    p.send(raw);
  }
  await tick();

  const errs = new Map(p.replies.filter((r): r is Extract<WireMessage, { t: 'err' }> => r.t === 'err').map((r) => [r.id, r.error]));
  requests.forEach(([method, params, code], i) => {
    const e = errs.get(10 + i);
    assert.ok(e, `${method} ${params.slice(0, 60)} got an error reply`);
    assert.match(e.code, code, `${method} ${params.slice(0, 60)}: ${e.code} ${e.message}`);
    assert.ok(e.message.length < 300, 'the error does not echo oversized input back');
  });
  assert.equal(p.replies.filter((r) => r.t === 'res').length, 0, 'no hostile request succeeded');
  assert.deepEqual(p.asked, [], 'nothing reached the engine (not even an open)');
  assert.deepEqual(p.selected, [], 'no forged event reached the host');
  // Every rejection is logged, with the offending part named and kept short.
  const rejected = p.logs.filter((l) => /webview: rejected/.test(l));
  assert.ok(rejected.length >= requests.length + 13 + 7 - 4, `${rejected.length} rejections logged:\n${p.logs.join('\n').slice(0, 3000)}`);
  assert.ok(p.logs.every((l) => l.length < 1000), 'log lines stay short');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
  assert.equal((Object.prototype as Record<string, unknown>).runs, undefined);

  // The channel still works for honest requests afterwards.
  p.send('{"t":"req","id":500,"method":"getGraph","params":{}}');
  for (let i = 0; i < 200 && !p.replies.some((r) => r.t === 'res' && r.id === 500); i++) await tick();
  assert.ok(p.replies.some((r) => r.t === 'res' && r.id === 500), 'an honest request is still served');
  assert.deepEqual(p.asked, ['open', 'getGraph']);
  p.session.dispose();
  await p.handle.close();
});
