// Faults on the way to an inference server each end in a clear error, the process goes on serving (the next run
// works) and nothing is left hanging: server down, 500 in the middle of a batch, a server slower than the timeout,
// malformed JSON, a wrong datatype or shape, a body beyond the size bound, a redirect to another origin (the token is
// not sent there), an untrusted certificate, and Cancel, which aborts the request itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { runModel } from '../../src/runtime/run-model';
import { explainModel } from '../../src/explain/explain';
import { sessions } from '../../src/runtime/load';
import type { Model } from '../../src/model/graph';
import type { ServerBinding } from '../../src/protocol/settings';
import { startOipServer, startRecorder, type OipTestServer } from '../support/oip-server';
import { bindServers, unbindServers } from '../support/oip-fixtures';
import { makeCnn } from '../../scripts/bench/make-cnn';

const IMAGE = resolve(__dirname, '../../examples/tiny-cnn.onnx');
let tmp: string;
let cnn: string;
let server: OipTestServer;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'oip-faults-'));
  cnn = makeCnn(tmp, 'cnn.onnx');
  server = await startOipServer({ models: { tiny: { path: IMAGE }, cnn: { path: cnn, maxBatchSize: 4 } } });
});

after(async () => {
  unbindServers();
  await sessions.clear();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function runOn(binding: Partial<ServerBinding>, o: { signal?: AbortSignal; path?: string; secret?: string } = {}) {
  const path = o.path ?? IMAGE;
  const url = binding.url ?? server.url;
  bindServers({ [path]: { url, model: 'tiny', ...binding } }, o.secret ? { [new URL(url).origin]: { header: 'authorization', value: o.secret } } : undefined);
  const m: Model = await openModel(path);
  try {
    return await runModel(m, { runs: 1, warmup: 0, seed: 1, signal: o.signal });
  } finally {
    await sessions.release(m);
    await m.dispose?.();
  }
}

/** After every fault: the same process runs the model on the healthy server. */
async function stillWorks(): Promise<void> {
  server.fault = undefined;
  const r = await runOn({});
  assert.equal(r.summary.provider, `server ${server.url} model tiny:1`);
  assert.equal(r.outputs.get('probabilities')?.shape.join(), '1,10');
}

test('server down: "connection refused", after the GETs were retried', async () => {
  const gone = await startRecorder();
  const url = gone.url;
  await gone.close();
  await assert.rejects(runOn({ url }), new RegExp(`tiny-cnn\\.onnx: server ${url} model tiny: cannot reach ${url}: connection refused \\(is the server running\\?\\)`));
  await stillWorks();
});

test('a 500 in the middle of a batched occlusion stops it with the server\'s error; nothing more is sent', async () => {
  bindServers({ [cnn]: { url: server.url, model: 'cnn' } });
  const m = await openModel(cnn);
  try {
    const before = server.inferCount;
    server.fault = { kind: 'status500', afterInfers: before + 3 };
    // Explain reports a method that failed in its map (the other methods of the call still run).
    const r = await explainModel(m, { methods: ['occlusion'], seed: 2, options: { window: 16, stride: 8 } });
    assert.match(r.maps[0].error ?? '', /POST \/v2\/models\/cnn\/infer answered HTTP 500: the model failed \(injected fault\)/);
    assert.deepEqual(r.maps[0].values, []);
    assert.equal(server.inferCount, before + 4, 'three answered, the fourth failed, none after it');
  } finally {
    await sessions.release(m);
    await m.dispose?.();
  }
  await stillWorks();
});

test('a server slower than the timeout: the request is given up with the timeout named, and abandoned on the server', async () => {
  server.fault = { kind: 'slow', delayMs: 20_000 };
  const abandoned = server.abandoned;
  await assert.rejects(runOn({ timeoutMs: 300 }), /inference failed on server .* \(POST \/v2\/models\/tiny\/infer got no complete answer within 300 ms \(the server's timeout setting\)\)/);
  await waitFor(() => server.abandoned > abandoned, 'the server saw the client go');
  await stillWorks();
});

test('malformed JSON in the answer', async () => {
  server.fault = { kind: 'malformedJson' };
  await assert.rejects(runOn({}), /the inference response is not valid JSON/);
  await stillWorks();
});

test('a wrong datatype or shape in the answer is named against the served metadata', async () => {
  server.fault = { kind: 'wrongDatatype' };
  await assert.rejects(runOn({}), /output "probabilities" came back FP64 \[1, 10\]; the server's metadata says FP32 \[1, 10\]/);
  server.fault = { kind: 'wrongShape' };
  await assert.rejects(runOn({}), /output "probabilities" came back FP32 \[10\]; the server's metadata says FP32 \[1, 10\]/);
  await stillWorks();
});

test('an answer beyond the size bound is refused before it is read whole', async () => {
  server.fault = { kind: 'oversize' };
  await assert.rejects(runOn({ maxResponseMB: 1 }), /the answer to POST \/v2\/models\/tiny\/infer is 8\.0 MiB, more than the 1 MiB allowed/);
  server.fault = { kind: 'oversizeChunked' };
  await assert.rejects(runOn({ maxResponseMB: 1 }), /the answer to POST \/v2\/models\/tiny\/infer is over 1 MiB, more than the 1 MiB allowed/);
  await stillWorks();
});

test('a redirect to another origin is not followed: the other origin sees nothing, the token went to the server only', async () => {
  const other = await startRecorder();
  try {
    server.fault = { kind: 'redirectAway', location: `${other.url}/v2/models/tiny/infer` };
    const before = server.requests.length;
    await assert.rejects(runOn({}, { secret: 'Bearer t0ken' }), new RegExp(`was redirected to another origin \\(${other.url.replace(/[.]/g, '\\.')}\\); not followed`));
    assert.equal(other.seen.length, 0, 'no request reached the other origin');
    const infer = server.requests.slice(before).find((r) => r.path.endsWith('/infer'))!;
    assert.equal(infer.headers.authorization, 'Bearer t0ken', 'the configured origin got the token');
    server.fault = { kind: 'redirectSame' };
    const r = await runOn({}, { secret: 'Bearer t0ken' });
    assert.equal(r.outputs.get('probabilities')?.shape.join(), '1,10', 'a redirect within the origin is followed');
  } finally {
    await other.close();
  }
  await stillWorks();
});

test('credentials are never sent over plain HTTP to a host that is not this machine', async () => {
  await assert.rejects(runOn({ url: 'http://inference.invalid:8000' }, { secret: 'Bearer t0ken' }), /will not send the credentials for http:\/\/inference\.invalid:8000 over plain HTTP: use an https URL/);
});

test('TLS is verified: a self-signed certificate is refused with the reason', async () => {
  const key = join(tmp, 'key.pem');
  const cert = join(tmp, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const https: HttpsServer = createHttps({ key: readFileSync(key), cert: readFileSync(cert) }, (_, res) => res.end('{}'));
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  try {
    const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    await assert.rejects(runOn({ url }), /TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
  } finally {
    https.closeAllConnections();
    await new Promise<void>((r) => https.close(() => r()));
  }
  await stillWorks();
});

test('Cancel aborts the HTTP request in flight: the run ends as cancelled and the server sees the client go', async () => {
  server.fault = { kind: 'slow', delayMs: 20_000 };
  const ac = new AbortController();
  const started = server.inferCount;
  const abandoned = server.abandoned;
  const p = runOn({}, { signal: ac.signal });
  await waitFor(() => server.inferCount > started, 'the inference reached the server');
  ac.abort();
  await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError');
  await waitFor(() => server.abandoned > abandoned, 'the server saw the request abandoned');
  await stillWorks();
});

test('Cancel during a batched occlusion aborts its request in flight too', async () => {
  bindServers({ [cnn]: { url: server.url, model: 'cnn' } });
  const m = await openModel(cnn);
  try {
    const started = server.inferCount;
    const abandoned = server.abandoned;
    server.fault = { kind: 'slow', delayMs: 20_000, afterInfers: started + 2 };
    const ac = new AbortController();
    const p = explainModel(m, { methods: ['occlusion'], seed: 2, options: { window: 16, stride: 8 }, signal: ac.signal });
    await waitFor(() => server.inferCount > started + 2, 'a slow batch reached the server');
    ac.abort();
    await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError');
    await waitFor(() => server.abandoned > abandoned, 'the server saw the batch abandoned');
  } finally {
    await sessions.release(m);
    await m.dispose?.();
  }
  await stillWorks();
});

test('a model that is not ready is named, not run', async () => {
  server.fault = { kind: 'notReady' };
  await assert.rejects(runOn({}), /model tiny: the model is not ready on the server \(nor is the server\)/);
  await stillWorks();
});

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting: ${what}`);
}
