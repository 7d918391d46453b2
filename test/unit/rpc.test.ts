import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcEndpoint } from '../../src/protocol/rpc';
import { memoryChannel } from '../support/memory-channel';
import type { WireMessage } from '../../src/protocol/wire';
import { obj, str } from '../../src/protocol/validate';

type Methods = {
  echo: { params: { text: string }; result: string };
  slow: { params: { ms: number }; result: string };
};

test('request/response round-trips and validates params', async () => {
  const [a, b] = memoryChannel();
  const server = new RpcEndpoint<Record<string, never>, Methods>(b, {
    echo: ({ text }) => text.toUpperCase(),
    slow: () => 'never',
  }, { validators: { echo: obj({ text: str(10) }) }, requireValidators: true });
  const client = new RpcEndpoint<Methods, Record<string, never>>(a, {});
  assert.equal(await client.call('echo', { text: 'hi' }), 'HI');
  await assert.rejects(client.call('echo', { text: 'x'.repeat(11) }), (e: Error & { code?: string }) => e.code === 'bad-request');
  await assert.rejects(client.call('slow', { ms: 1 }), (e: Error & { code?: string }) => e.code === 'bad-request' && /not accepted/.test(e.message));
  server.dispose();
  client.dispose();
});

test('cancellation reaches the handler and rejects the caller', async () => {
  const [a, b] = memoryChannel();
  let handlerSawAbort = false;
  const server = new RpcEndpoint<Record<string, never>, Methods>(b, {
    echo: (p) => p.text,
    slow: ({ ms }, ctx) =>
      new Promise((resolve) => {
        const t = setTimeout(() => resolve('done'), ms);
        ctx.signal.addEventListener('abort', () => {
          handlerSawAbort = true;
          clearTimeout(t);
          resolve('aborted');
        });
      }),
  });
  const client = new RpcEndpoint<Methods, Record<string, never>>(a, {});
  const ac = new AbortController();
  const p = client.call('slow', { ms: 5000 }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'cancelled');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(handlerSawAbort, true);
  server.dispose();
  client.dispose();
});

test('timeouts and dispose reject pending calls', async () => {
  const [a, b] = memoryChannel();
  const server = new RpcEndpoint<Record<string, never>, Methods>(b, {
    echo: (p) => p.text,
    slow: ({ ms }) => new Promise((r) => setTimeout(() => r('late'), ms)),
  });
  const client = new RpcEndpoint<Methods, Record<string, never>>(a, {});
  await assert.rejects(client.call('slow', { ms: 300 }, { timeoutMs: 20 }), (e: Error & { code?: string }) => e.code === 'timeout');
  const pending = client.call('slow', { ms: 300 });
  client.dispose('panel closed');
  await assert.rejects(pending, (e: Error & { code?: string }) => e.code === 'disposed' && e.message === 'panel closed');
  assert.equal(client.pendingCount, 0);
  server.dispose();
});

test('malformed messages and unknown methods are rejected, not thrown', async () => {
  const [a, b] = memoryChannel();
  const warnings: string[] = [];
  const server = new RpcEndpoint<Record<string, never>, Methods>(b, { echo: (p) => p.text }, { log: (_l, m) => warnings.push(m) });
  a.send({ t: 'bogus' } as unknown as WireMessage);
  a.send({ t: 'req', id: -1, method: 'echo', params: {} } as WireMessage);
  const client = new RpcEndpoint<Methods & { nope: { params: object; result: void } }, Record<string, never>>(a, {});
  await assert.rejects(client.call('nope', {}), (e: Error & { code?: string }) => e.code === 'unknown-method');
  assert.ok(warnings.some((w) => w.includes('unknown message type')));
  assert.ok(warnings.some((w) => w.includes('valid id')));
  server.dispose();
  client.dispose();
});

test('ready handshake resolves waiters registered before and after', async () => {
  const [a, b] = memoryChannel();
  const server = new RpcEndpoint(b, {});
  const client = new RpcEndpoint(a, {});
  const early = client.whenReady();
  server.sendReady({ version: '1' });
  assert.deepEqual(await early, { version: '1' });
  assert.deepEqual(await client.whenReady(), { version: '1' });
  server.dispose();
  client.dispose();
});
