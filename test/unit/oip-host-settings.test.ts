// The host's side of inference servers, vscode-free: the setting as the engine takes it, the credentials cache (only
// configured origins leave), and the engine's check of a configure request carrying them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseModelRef, parseSecret, resolveServers, SecretCache } from '../../src/host/server-settings';
import { settingsCheck } from '../../src/protocol/settings';

test('modelInspector.servers: relative keys resolve against the folder, bad entries are named and left out', () => {
  const warnings: string[] = [];
  const r = resolveServers({
    'models/a.onnx': { url: 'https://triton.example:8000', model: 'a', version: '2' },
    '/abs/b.onnx': { url: 'http://127.0.0.1:8000', model: 'b', maxBatch: 8 },
    'c.onnx': { url: 'ftp://x', model: 'c' },
    'd.onnx': { url: 'https://user:pw@x', model: 'd' },
    'e.onnx': { url: 'https://x', model: 'a/b' },
    'f.onnx': { url: 'https://x', model: 'f', token: 'nope' },
  }, '/work/ws', (m) => warnings.push(m));
  assert.deepEqual(r, {
    [join('/work/ws', 'models/a.onnx')]: { url: 'https://triton.example:8000', model: 'a', version: '2' },
    '/abs/b.onnx': { url: 'http://127.0.0.1:8000', model: 'b', maxBatch: 8 },
  });
  assert.equal(warnings.length, 4);
  assert.match(warnings[0], /\["c\.onnx"\]\.url must be an http or https URL: entry ignored/);
  assert.match(warnings[1], /must not hold credentials/);
  assert.match(warnings[2], /\.model must be a name without slashes/);
  assert.match(warnings[3], /unexpected field "token"/);
  const none: string[] = [];
  assert.deepEqual(resolveServers({ 'x.onnx': { url: 'https://x', model: 'x' } }, undefined, (m) => none.push(m)), {});
  assert.match(none[0], /relative path and no folder is open/);
});

test('only the credentials of configured servers\' origins are sent, by origin', () => {
  const cache = new SecretCache();
  assert.equal(cache.set('https://a.example', { header: 'authorization', value: 'Bearer 1' }), true);
  assert.equal(cache.set('https://a.example', { header: 'authorization', value: 'Bearer 1' }), false, 'unchanged');
  cache.set('https://b.example', { header: 'x-api-key', value: 'k' });
  assert.deepEqual(cache.forServers({ '/m.onnx': { url: 'https://a.example/serving/', model: 'm' } }), { 'https://a.example': { header: 'authorization', value: 'Bearer 1' } });
  cache.set('https://a.example', undefined);
  assert.deepEqual(cache.forServers({ '/m.onnx': { url: 'https://a.example', model: 'm' } }), {});
});

test('stored credentials and typed model references are parsed or refused', () => {
  assert.deepEqual(parseSecret('{"header":"authorization","value":"Bearer t"}'), { header: 'authorization', value: 'Bearer t' });
  assert.equal(parseSecret('not json'), undefined);
  assert.equal(parseSecret('{"header":"","value":"x"}'), undefined);
  assert.deepEqual(parseModelRef(' resnet:3 '), { model: 'resnet', version: '3' });
  assert.deepEqual(parseModelRef('resnet'), { model: 'resnet' });
  assert.equal(parseModelRef('a b'), undefined);
});

test('the engine refuses a configure request whose servers or secrets are malformed', () => {
  const ok = { devices: {}, servers: { '/m.onnx': { url: 'https://x', model: 'm' } }, secrets: { 'https://x': { header: 'authorization', value: 'Bearer t' } } };
  assert.equal(settingsCheck(ok, 'settings'), undefined);
  assert.match(settingsCheck({ ...ok, secrets: { 'https://x': { header: 'authorization', value: 'Bearer t\r\nx-evil: 1' } } }, 'settings')!, /must be one line/);
  assert.match(settingsCheck({ ...ok, secrets: { 'https://x': { header: 'bad header', value: 't' } } }, 'settings')!, /is not a header name/);
  assert.match(settingsCheck({ ...ok, servers: { '/m.onnx': { url: 'https://x', model: 'm', timeoutMs: 5 } } }, 'settings')!, /timeoutMs must be an integer in \[100/);
  assert.match(settingsCheck({ ...ok, secrets: { 'not a url': { header: 'a', value: 'b' } } }, 'settings')!, /is not a URL/);
});
