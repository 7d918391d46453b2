// `run|saliency|compare … --server URL [--server-model NAME[:VERSION]]`: the same JSON as local runs plus the server
// fields, and the flags checked before anything runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli';
import { sessions } from '../../src/runtime/load';
import { startOipServer, type OipTestServer } from '../support/oip-server';
import { unbindServers } from '../support/oip-fixtures';
import { makeCnn } from '../../scripts/bench/make-cnn';

const IMAGE = resolve(__dirname, '../../examples/tiny-cnn.onnx');
let tmp: string;
let cnn: string;
let server: OipTestServer;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oip-cli-'));
  cnn = makeCnn(tmp, 'cnn.onnx');
  server = await startOipServer({ models: { 'tiny-cnn': { path: IMAGE }, cnn: { path: cnn, maxBatchSize: 8 } } });
});

after(async () => {
  unbindServers();
  await sessions.clear();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

test('run --server --json: the local run\'s JSON with the provider and server fields; outputs equal', async () => {
  unbindServers();
  const local = JSON.parse((await cli('run', IMAGE, '--runs', '1', '--json')).out) as Record<string, unknown> & { outputs: unknown[] };
  const r = await cli('run', IMAGE, '--runs', '1', '--json', '--server', server.url);
  assert.equal(r.code, 0, r.out + r.err);
  const remote = JSON.parse(r.out) as typeof local & { server: Record<string, unknown> };
  assert.equal(remote.provider, `server ${server.url} model tiny-cnn:1`, 'the model name defaults to the file name');
  assert.deepEqual(Object.keys(remote).filter((k) => !(k in local)), ['server']);
  assert.deepEqual(remote.outputs, local.outputs);
  assert.equal(remote.server.live, true);
  assert.equal(remote.server.binary, true);
  const text = await cli('run', IMAGE, '--runs', '1', '--server', server.url, '--server-model', 'tiny-cnn:1');
  assert.match(text.out, /provider: server http:\/\/127\.0\.0\.1:\d+ model tiny-cnn:1/);
  assert.match(text.out, /server oip-test-server 1\.0: live yes, ready yes, model ready yes, onnxruntime_onnx, no batch limit known, binary tensors/);
});

test('saliency --server: occlusion through the server, JSON with the server fields and the same numbers', async () => {
  unbindServers();
  const args = ['saliency', cnn, '--method', 'occlusion', '--window', '16', '--stride', '16', '--json'];
  const local = JSON.parse((await cli(...args)).out) as Record<string, unknown>;
  const r = await cli(...args, '--server', server.url, '--server-model', 'cnn');
  assert.equal(r.code, 0, r.out + r.err);
  const remote = JSON.parse(r.out) as Record<string, unknown> & { server: { maxBatch: number } };
  assert.equal(remote.provider, `server ${server.url} model cnn:1`);
  assert.equal(remote.server.maxBatch, 8);
  for (const k of ['target', 'shape', 'deletionAuc', 'insertionAuc']) assert.deepEqual(remote[k], local[k], k);
});

test('compare --server runs model A on the server against B here; the same file twice is refused', async () => {
  const copy = join(tmp, 'copy.onnx');
  copyFileSync(IMAGE, copy);
  const r = await cli('compare', IMAGE, copy, '--json', '--server', server.url);
  assert.equal(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out) as { outputs: { name: string; maxAbsDiff: number; cosine: number }[]; divergence: unknown; server: { runs: string; provider: string; live: boolean } };
  assert.deepEqual({ runs: j.server.runs, provider: j.server.provider, live: j.server.live }, { runs: 'a', provider: `server ${server.url} model tiny-cnn:1`, live: true });
  assert.deepEqual(j.outputs.map((o) => [o.name, o.maxAbsDiff, o.cosine]), [['probabilities', 0, 1]], 'the served model gives what the file gives');
  assert.equal(j.divergence, null);
  const same = await cli('compare', IMAGE, IMAGE, '--server', server.url);
  assert.equal(same.code, 2);
  assert.match(same.err, /B must be another file/);
});

test('bad server flags are usage errors before anything runs', async () => {
  for (const [argv, msg] of [
    [['run', IMAGE, '--server', 'ftp://x'], /--server must be an http or https URL/],
    [['run', IMAGE, '--server', 'https://user:pw@x'], /must not hold credentials/],
    [['run', IMAGE, '--server-model', 'm'], /--server-model needs --server URL/],
    [['run', IMAGE, '--server', server.url, '--server-model', 'a/b'], /NAME or NAME:VERSION/],
    [['stats', IMAGE, '--server', server.url], /stats does not take --server/],
  ] as const) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, msg);
  }
});
