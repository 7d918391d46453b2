// Runs through an Open Inference Protocol server (test/support/oip-server.ts: the spec's REST endpoints and binary
// extension over onnxruntime-node) give the same numbers as local onnxruntime: an image model (run and batched
// occlusion) and a token model (int64 ids). The server's health, batch limit and metadata checks are visible.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { runModel } from '../../src/runtime/run-model';
import { explainModel } from '../../src/explain/explain';
import { runPrompt } from '../../src/runtime/lm/run-prompt';
import { chooseBackend } from '../../src/runtime/backends/registry';
import { sessions } from '../../src/runtime/load';
import type { Model } from '../../src/model/graph';
import { ModelError } from '../../src/model/errors';
import { startOipServer, type OipTestServer } from '../support/oip-server';
import { bindServers, unbindServers, writeTinyLm } from '../support/oip-fixtures';
import { makeCnn } from '../../scripts/bench/make-cnn';

const IMAGE = resolve(__dirname, '../../examples/tiny-cnn.onnx');
let tmp: string;
let cnn: string;
let lm: string;
let server: OipTestServer;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oip-server-'));
  cnn = makeCnn(tmp, 'cnn.onnx');
  lm = writeTinyLm(tmp);
  server = await startOipServer({
    models: { tiny: { path: IMAGE, versions: ['1'] }, cnn: { path: cnn, maxBatchSize: 4, enforceMaxBatch: true }, lm: { path: lm }, other: { path: cnn } },
  });
});

after(async () => {
  unbindServers();
  await sessions.clear();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function withOpened<T>(path: string, fn: (m: Model) => Promise<T>): Promise<T> {
  const m = await openModel(path);
  try {
    return await fn(m);
  } finally {
    await sessions.release(m);
    await m.dispose?.();
  }
}

const outputsOf = (path: string) => withOpened(path, async (m) => (await runModel(m, { runs: 1, warmup: 0, seed: 3 })));

for (const binary of [true, false]) {
  test(`an image model run on the server equals local onnxruntime (${binary ? 'binary tensor data' : 'JSON data'})`, async () => {
    unbindServers();
    const local = await outputsOf(IMAGE);
    server.extensions = binary ? ['binary_tensor_data'] : [];
    bindServers({ [IMAGE]: { url: server.url, model: 'tiny', version: '1' } });
    const before = server.requests.length;
    const remote = await outputsOf(IMAGE).finally(() => (server.extensions = ['binary_tensor_data', 'model_configuration']));
    assert.equal(remote.summary.provider, `server ${server.url} model tiny:1`);
    assert.equal(local.summary.provider, 'cpu');
    assert.deepEqual([...remote.outputs.keys()], [...local.outputs.keys()]);
    for (const [name, a] of local.outputs) {
      const b = remote.outputs.get(name)!;
      assert.deepEqual(b.shape, a.shape);
      assert.deepEqual(Array.from(b.data as Float32Array), Array.from(a.data as Float32Array), `${name}: same numbers`);
    }
    const s = remote.summary.server!;
    assert.deepEqual({ live: s.live, ready: s.ready, modelReady: s.modelReady, binary: s.binary, version: s.version, platform: s.platform }, { live: true, ready: true, modelReady: true, binary, version: '1', platform: 'onnxruntime_onnx' });
    const infers = server.requests.slice(before).filter((r) => r.path.endsWith('/infer'));
    assert.equal(infers.length, 1);
    assert.equal(infers[0].path, '/v2/models/tiny/versions/1/infer');
    assert.equal(infers[0].headers['content-type'], binary ? 'application/octet-stream' : 'application/json');
  });
}

test('a bound file runs on the oip backend whatever its format names; unbound, on its own', () => {
  bindServers({ [IMAGE]: { url: server.url, model: 'tiny' } });
  assert.equal(chooseBackend({ format: 'onnx', path: IMAGE }).backend?.id, 'oip');
  assert.equal(chooseBackend({ format: 'onnx', path: cnn }).backend?.id, 'onnxruntime');
  unbindServers();
  assert.equal(chooseBackend({ format: 'onnx', path: IMAGE }).backend?.id, 'onnxruntime');
});

test('batched occlusion on the server equals local, in requests no larger than the server\'s max_batch_size', async () => {
  const params = { methods: ['occlusion' as const], seed: 5, options: { window: 16, stride: 8 } };
  unbindServers();
  const local = await withOpened(cnn, (m) => explainModel(m, params));
  bindServers({ [cnn]: { url: server.url, model: 'cnn' } });
  const before = server.requests.length;
  const remote = await withOpened(cnn, async (m) => {
    const r = await explainModel(m, params);
    const { session } = await sessions.get(m, {});
    assert.equal(session.maxBatch, 4);
    assert.equal(session.server?.maxBatchFrom, 'server');
    return r;
  });
  const batches = server.requests.slice(before).filter((r) => r.path.endsWith('/infer')).map((r) => r.batch!);
  assert.ok(batches.length > 10, `occlusion made ${batches.length} requests`);
  assert.ok(batches.every((b) => b <= 4), `batches ${batches.join(',')} within max_batch_size 4`);
  assert.ok(batches.includes(4), 'full batches are sent');
  assert.equal(remote.target, local.target);
  assert.deepEqual(remote.maps[0].values, local.maps[0].values);
  assert.equal(remote.maps[0].deletionAuc, local.maps[0].deletionAuc);
});

test('without the server\'s configuration extension the maxBatch setting limits the requests, and a run with a larger batch is split', async () => {
  server.extensions = ['binary_tensor_data'];
  try {
    bindServers({ [cnn]: { url: server.url, model: 'cnn', maxBatch: 3 } });
    const n = 7;
    const x = Float32Array.from({ length: n * 3 * 64 * 64 }, (_, i) => Math.sin(i));
    const feeds = new Map([['image', { dtype: 'float32' as const, shape: [n, 3, 64, 64], data: x }]]);
    const before = server.requests.length;
    const remote = await withOpened(cnn, (m) => runModel(m, { runs: 1, warmup: 0, feeds }));
    assert.equal(remote.summary.server?.maxBatch, 3);
    assert.equal(remote.summary.server?.maxBatchFrom, 'setting');
    assert.deepEqual(server.requests.slice(before).filter((r) => r.path.endsWith('/infer')).map((r) => r.batch), [3, 3, 1]);
    unbindServers();
    const local = await withOpened(cnn, (m) => runModel(m, { runs: 1, warmup: 0, feeds }));
    assert.deepEqual(remote.outputs.get('logits')!.shape, [n, 10]);
    assert.deepEqual(Array.from(remote.outputs.get('logits')!.data as Float32Array), Array.from(local.outputs.get('logits')!.data as Float32Array));
  } finally {
    server.extensions = ['binary_tensor_data', 'model_configuration'];
  }
});

for (const binary of [true, false]) {
  test(`a token model (int64 ids) answers a prompt on the server as it does locally (${binary ? 'binary' : 'JSON'})`, async () => {
    unbindServers();
    const prompt = '3 1 4 1 5 9 2 6';
    const local = await withOpened(lm, (m) => runPrompt(m, { prompt, top: 5, generate: 3 }));
    server.extensions = binary ? ['binary_tensor_data'] : [];
    try {
      bindServers({ [lm]: { url: server.url, model: 'lm' } });
      const remote = await withOpened(lm, (m) => runPrompt(m, { prompt, top: 5, generate: 3 }));
      assert.equal(remote.provider, `server ${server.url} model lm:1`);
      assert.deepEqual(remote.tokens, local.tokens);
      assert.deepEqual(remote.next, local.next);
      assert.deepEqual(remote.generated, local.generated);
      const last = server.requests.filter((r) => r.path.endsWith('/infer')).at(-1)!;
      assert.equal(last.headers['content-type'], binary ? 'application/octet-stream' : 'application/json');
    } finally {
      server.extensions = ['binary_tensor_data', 'model_configuration'];
    }
  });
}

test('a served model that is not this file\'s is refused, naming what differs; so is a version the server lacks', async () => {
  bindServers({ [IMAGE]: { url: server.url, model: 'other' } });
  await assert.rejects(outputsOf(IMAGE), (e: unknown) => {
    assert.ok(e instanceof ModelError);
    assert.match(e.message, /tiny-cnn\.onnx: server http:\/\/127\.0\.0\.1:\d+ model other: the served model does not match this file/);
    assert.match(e.message, /input "image" is FP32 \[-1, 3, 64, 64\] on the server, float32 \[1, 1, 8, 8\] here/);
    assert.match(e.message, /output "probabilities" of this file is not served/);
    return true;
  });
  bindServers({ [IMAGE]: { url: server.url, model: 'tiny', version: '7' } });
  await assert.rejects(outputsOf(IMAGE), /model tiny:7: the server has no such model \(GET \/v2\/models\/tiny\/versions\/7 answered HTTP 404: model tiny has no version 7\)/);
  bindServers({ [IMAGE]: { url: server.url, model: 'missing' } });
  await assert.rejects(outputsOf(IMAGE), /model missing: the server has no such model .*HTTP 404: model missing is not served/);
});

test('the credential goes to the server\'s origin as its header; without it the server\'s refusal is shown', async () => {
  server.requireHeader = { name: 'authorization', value: 'Bearer s3cret' };
  try {
    bindServers({ [IMAGE]: { url: server.url, model: 'tiny' } }, { [server.url]: { header: 'authorization', value: 'Bearer s3cret' } });
    const r = await outputsOf(IMAGE);
    assert.equal(r.summary.provider, `server ${server.url} model tiny:1`);
    bindServers({ [IMAGE]: { url: server.url, model: 'tiny' } });
    await assert.rejects(outputsOf(IMAGE), /the server is not live|answered HTTP 401: unauthorized/);
  } finally {
    server.requireHeader = undefined;
  }
});
