// A file offered to the readers is told by its bytes, not only its name: a TorchScript archive named .jit (or named
// anything) opens as PyTorch, a Keras file under another name opens as Keras, and a file whose name claims a format
// its bytes do not have is refused with what its bytes are not (`<file>: <problem>`), not with the list of formats.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { zipOf } from './pytorch-fixtures';

const fixtures = join(__dirname, '../fixtures');
const dir = mkdtempSync(join(tmpdir(), 'mi-sniff-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const copy = (from: string, name: string) => {
  const to = join(dir, name);
  copyFileSync(join(fixtures, from), to);
  return to;
};
const write = (name: string, bytes: Uint8Array | string) => {
  const to = join(dir, name);
  writeFileSync(to, bytes);
  return to;
};

for (const [from, name, format, torchScript] of [
  ['pytorch/scripted.pt', 'scripted.jit', 'pytorch', 'yes'],
  ['pytorch/scripted.pt', 'scripted.bin', 'pytorch', 'yes'],
  ['pytorch/state_dict.pt', 'weights', 'pytorch', 'no'],
  ['pytorch/legacy.pt', 'legacy.ckpt', 'pytorch', 'no'],
  ['keras/tiny-mlp.h5', 'tiny-mlp.model', 'keras', undefined],
  ['keras/tiny-mlp.keras', 'tiny-mlp.zip', 'keras', undefined],
] as const) {
  test(`${from} named ${name} opens as ${format} by its bytes`, async () => {
    const m = await openModel(copy(from, name));
    try {
      assert.equal(m.format, format);
      assert.ok(m.graph.initializers.length > 0);
      if (torchScript) assert.equal(m.metadata.TorchScript, torchScript);
    } finally {
      await m.dispose?.();
    }
  });
}

async function refused(path: string, problem: RegExp): Promise<void> {
  await assert.rejects(openModel(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.match(e.message, problem);
    return true;
  });
}

test('a file named as a PyTorch file whose bytes are not one says what they are not', async () => {
  for (const name of ['notes.pt', 'notes.pth', 'notes.jit']) {
    await refused(write(name, 'hello, this is text\n'),
      new RegExp(`^${name.replace('.', '\\.')}: is not a PyTorch file: not a zip archive \\(torch\\.save since 1\\.6, torch\\.jit\\.save\\) and no pickle protocol header \\(torch\\.save before 1\\.6\\); it begins 68 65 6c 6c 6f 2c 20 74 \\("hello, t"\\)$`));
  }
});

test('a file named as a Keras file whose bytes are not one says what they are not', async () => {
  for (const name of ['notes.keras', 'notes.h5']) {
    await refused(write(name, Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8])),
      new RegExp(`^${name.replace('.', '\\.')}: is not a Keras file: not a zip archive \\(what a \\.keras file is\\) and no HDF5 signature \\(what an \\.h5 file has\\); it begins 00 01 02 03 04 05 06 07$`));
  }
});

test('a zip that is neither a torch archive nor a Keras one, under a neutral name, is still not claimed', async () => {
  await refused(write('data.zip', zipOf([['readme.txt', Buffer.from('hi')]])), /^data\.zip: is not a model format Model Inspector reads/);
});
