// Seeded mutations of real torch archives' pickles (bytes flipped, cut, duplicated): opening and reading every
// tensor either works or fails with a ModelError naming the file, never another error, a hang or a huge allocation.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { Prng } from '../fuzz/prng';
import { FIXTURES, entriesOf, zipOf } from './pytorch-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'mi-pt-mut-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mutate(rng: Prng, b: Uint8Array): Uint8Array {
  const out = Array.from(b);
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(out.length);
    switch (rng.int(5)) {
      case 0: out[at] = rng.int(256); break;
      case 1: out[at] ^= 1 << rng.int(8); break;
      case 2: out.splice(at, 1 + rng.int(8)); break;
      case 3: out.splice(at, 0, ...out.slice(rng.int(out.length), rng.int(out.length))); break;
      default: out.length = at; break;
    }
  }
  return Uint8Array.from(out);
}


/** Opens `path` and reads every tensor: false; or true when it is refused with a ModelError naming the file. */
async function refusedOrRead(path: string, what: string): Promise<boolean> {
  try {
    const m = await openModel(path);
    try {
      for (const t of m.graph.initializers) if (t.data) await t.data.read(0, t.data.byteLength);
    } finally {
      await m.dispose?.();
    }
    return false;
  } catch (e) {
    assert.ok(e instanceof ModelError, `${what}: ${String(e)}`);
    assert.ok(e.message.startsWith(`${basename(path)}: `), e.message);
    return true;
  }
}
for (const file of ['state_dict.pt', 'checkpoint.pth', 'scripted.pt', 'views.pt', 'quantized.pt']) {
  test(`mutated data.pkl of ${file}: a model or a ModelError`, async () => {
    const entries = await entriesOf(join(FIXTURES, file));
    const rng = new Prng(0x5eed + file.length);
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const mutated = entries.map(([n, b]): [string, Uint8Array] => [n, n.endsWith('/data.pkl') ? mutate(rng, b) : b]);
      const path = join(dir, `m-${i}-${file}`);
      writeFileSync(path, zipOf(mutated));
      if (await refusedOrRead(path, `case ${i}`)) refused++;
      rmSync(path);
    }
    assert.ok(refused > 0);
  });
}

test('mutated legacy (torch < 1.6) files: a model or a ModelError', async () => {
  const whole = readFileSync(join(FIXTURES, 'legacy.pt'));
  const rng = new Prng(0x1e9a);
  let refused = 0;
  for (let i = 0; i < 200; i++) {
    // Keep the magic so the legacy path is taken; mutate the pickles and storages after it.
    const path = join(dir, `legacy-${i}.pt`);
    writeFileSync(path, Buffer.concat([whole.subarray(0, 14), mutate(rng, whole.subarray(14))]));
    if (await refusedOrRead(path, `case ${i}`)) refused++;
    rmSync(path);
  }
  assert.ok(refused > 0);
});
