// Zip archives written by Python's zipfile (stored, deflated, forced zip64) read by our zip reader; broken archives
// give a ModelError naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipArchive } from '../../src/formats/zip/zip-archive';
import { ModelError } from '../../src/model/errors';

const dir = mkdtempSync(join(tmpdir(), 'mi-zip-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes an archive with Python: `entries` maps names to [content seed, length, compression]. */
function pyZip(name: string, force64: boolean): string {
  const path = join(dir, name);
  const code = `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for n, length, comp in [('a/data/0', 1000, zipfile.ZIP_STORED), ('a/data.pkl', 70000, zipfile.ZIP_DEFLATED), ('empty', 0, zipfile.ZIP_STORED)]:
        info = zipfile.ZipInfo(n)
        info.compress_type = comp
        with z.open(info, 'w', force_zip64=${force64 ? 'True' : 'False'}) as f:
            f.write(bytes((i * 7 + len(n)) % 251 for i in range(length)))
`;
  const r = spawnSync('python3', ['-c', code, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return path;
}

const expected = (n: string, length: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + n.length) % 251);

for (const force64 of [false, true]) {
  test(`reads stored and deflated entries${force64 ? ' (zip64)' : ''}`, async () => {
    const zip = await ZipArchive.open(pyZip(`t${force64}.zip`, force64));
    try {
      assert.deepEqual([...zip.entries.keys()], ['a/data/0', 'a/data.pkl', 'empty']);
      const stored = zip.entries.get('a/data/0')!;
      assert.equal(stored.method, 0);
      const src = await zip.source(stored);
      assert.deepEqual(await src.read(10, 20), expected('a/data/0', 1000).subarray(10, 30));
      assert.equal(zip.entries.get('a/data.pkl')!.method, 8);
      assert.deepEqual(await zip.bytes(zip.entries.get('a/data.pkl')!), expected('a/data.pkl', 70000));
      assert.equal((await zip.bytes(zip.entries.get('empty')!)).byteLength, 0);
    } finally {
      await zip.dispose();
    }
  });
}

test('a truncated archive, a non-zip and a corrupt deflate stream are ModelErrors naming the file', async () => {
  const good = readFileSync(pyZip('good.zip', false));
  const cut = join(dir, 'cut.zip');
  writeFileSync(cut, good.subarray(0, good.byteLength - 30));
  await assert.rejects(ZipArchive.open(cut), (e: unknown) => e instanceof ModelError && e.message.startsWith("cut.zip: is not a complete zip archive"));
  const text = join(dir, 'text.zip');
  writeFileSync(text, 'just some text, long enough to hold an end record but without one');
  await assert.rejects(ZipArchive.open(text), (e: unknown) => e instanceof ModelError && /no end-of-central-directory record/.test(e.message));
  // Damage the deflated entry's bytes (after its local header) but keep the directory intact.
  const bad = Buffer.from(good);
  const zip = await ZipArchive.open(pyZip('probe.zip', false));
  const e = zip.entries.get('a/data.pkl')!;
  await zip.dispose();
  bad.fill(0xff, e.localHeaderOffset + 30 + e.name.length, e.localHeaderOffset + 30 + e.name.length + 64);
  const damaged = join(dir, 'damaged.zip');
  writeFileSync(damaged, bad);
  const z2 = await ZipArchive.open(damaged);
  try {
    await assert.rejects(z2.bytes(z2.entries.get('a/data.pkl')!), (err: unknown) => err instanceof ModelError && err.message.startsWith("damaged.zip: zip entry a/data.pkl"));
  } finally {
    await z2.dispose();
  }
});
