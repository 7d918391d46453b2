import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';

// openModel's own refusals (before any reader runs), now that it opens the file once, synchronously, and lends the
// descriptor to the reader: each a ModelError "<file>: <problem>", none a hang.

async function refused(path: string, problem: RegExp): Promise<void> {
  await assert.rejects(openModel(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.match((e as Error).message, problem);
    assert.ok((e as Error).message.startsWith(`${basename(path)}: `), (e as Error).message);
    return true;
  });
}

test('missing, empty, unknown and folder paths are refused with the file named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-registry-'));
  try {
    await refused(join(dir, 'nope.onnx'), /cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'empty.safetensors'), '');
    await refused(join(dir, 'empty.safetensors'), /is empty \(0 bytes\)/);
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    await refused(join(dir, 'notes.txt'), /is not a model format Model Inspector reads/);
    mkdirSync(join(dir, 'folder'));
    await refused(join(dir, 'folder'), /is a folder, not a model file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a FIFO is refused at once, not waited on', { skip: process.platform === 'win32' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-registry-'));
  try {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /is not a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a SafeTensors header longer than the 4 KiB head is read through the lent descriptor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-registry-'));
  try {
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) header[`layer.${i}.weight`] = { dtype: 'F32', shape: [2], data_offsets: [i * 8, i * 8 + 8] };
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    assert.ok(json.length > 4096);
    const path = join(dir, 'm.safetensors');
    writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(200 * 8)]));
    const m = await openModel(path);
    assert.equal(m.graph.initializers.length, 200);
    assert.deepStrictEqual(Array.from(await m.graph.initializers[199].data!.read(0, 8)), new Array(8).fill(0));
    await m.dispose?.();
    // Truncated after the header: the same check as before (the offsets run past the data).
    writeFileSync(path, Buffer.concat([len, json, Buffer.alloc(100)]));
    await refused(path, /run past the end of the data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
