import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guardHandlers } from '../../src/engine/guard';
import { ModelError, oneLine } from '../../src/model/errors';
import { RpcEndpoint } from '../../src/protocol/rpc';
import { RpcError } from '../../src/protocol/wire';
import { memoryChannel } from '../support/memory-channel';

/** Two RPC endpoints over an asynchronous JSON channel, like the engine's IPC. */
type M = {
  bug: { params: Record<string, never>; result: void };
  syncBug: { params: Record<string, never>; result: void };
  badFile: { params: Record<string, never>; result: void };
  busy: { params: Record<string, never>; result: void };
  fine: { params: { x: number }; result: number };
};

test('whatever a handler throws reaches the caller as a one-line RpcError; bugs are logged with their stack', async () => {
  const logs: string[] = [];
  const [a, b] = memoryChannel();
  const server = new RpcEndpoint<Record<string, never>, M>(b, guardHandlers<M>({
    bug: async () => {
      const o = undefined as unknown as { x: { y: number } };
      void o.x.y;
    },
    syncBug: () => {
      throw new Error('first line\n    second line\n  at somewhere.js:1:1');
    },
    badFile: () => {
      throw new ModelError('/models/x.onnx', 'is not a valid ONNX file (truncated)');
    },
    busy: () => {
      throw new RpcError('bad-request', 'unknown model m1\nextra');
    },
    fine: ({ x }) => x * 2,
  }, (level, message) => logs.push(`${level}: ${message}`)));
  const client = new RpcEndpoint<M, Record<string, never>>(a, {});
  const fails = (code: string, re: RegExp) => (e: RpcError) => e.code === code && re.test(e.message) && !e.message.includes('\n');

  await assert.rejects(client.call('bug', {}), fails('failed', /^bug failed: Cannot read properties of undefined/));
  await assert.rejects(client.call('syncBug', {}), fails('failed', /^syncBug failed: first line$/));
  await assert.rejects(client.call('badFile', {}), fails('failed', /^x\.onnx: is not a valid ONNX file \(truncated\)$/));
  await assert.rejects(client.call('busy', {}), fails('bad-request', /^unknown model m1$/));
  assert.equal(await client.call('fine', { x: 21 }), 42);
  // Only the two bugs are logged, with their stacks for bug reports.
  assert.equal(logs.length, 2);
  assert.match(logs[0], /^error: bug failed: TypeError: Cannot read properties[\s\S]*\n\s+at /);
  server.dispose();
  client.dispose();
});

test('oneLine puts every line of a message on one line and bounds its length', () => {
  assert.equal(oneLine('\n\n  boom  \nmore'), 'boom more');
  assert.equal(oneLine(new Error('a\r\n  b')), 'a b');
  assert.equal(oneLine(''), '');
  assert.equal(oneLine('x'.repeat(600)), 'x'.repeat(299) + '…');
  assert.equal(oneLine('x'.repeat(600), 500).length, 500);
});
