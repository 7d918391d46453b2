// .npy/.npz written by real NumPy (python3 + numpy when present) read by our readers, and our .npy read back by NumPy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { constants, deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { encodeNpy, parseNpy } from '../../src/formats/arrays/npy';
import { readNpz } from '../../src/formats/arrays/npz';
import { readArrayFile } from '../../src/formats/arrays/read-array-file';
import { numberAt } from '../../src/formats/arrays/ndarray';
import { ModelError } from '../../src/model/errors';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'mi-arrays-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function py(code: string): string {
  const r = spawnSync('python3', ['-c', `import numpy as np, json\n${code}`], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const values = (a: ReturnType<typeof parseNpy>) => Array.from({ length: a.data.length }, (_, i) => numberAt(a, i));

test('reads every numeric dtype NumPy writes, little and big endian', { skip: !hasNumpy && 'numpy not installed' }, () => {
  const cases: [string, string][] = [
    ['<f4', 'float32'], ['<f8', 'float64'], ['<f2', 'float16'], ['|i1', 'int8'], ['<i2', 'int16'], ['<i4', 'int32'],
    ['<i8', 'int64'], ['|u1', 'uint8'], ['<u2', 'uint16'], ['<u4', 'uint32'], ['<u8', 'uint64'], ['|b1', 'bool'],
    ['>f4', 'float32'], ['>i8', 'int64'],
  ];
  for (const [descr, dtype] of cases) {
    const f = `a_${descr.replace(/[<>|]/g, (c) => ({ '<': 'le', '>': 'be', '|': 'na' })[c]!)}.npy`;
    const expected = JSON.parse(py(`a = (np.arange(24).reshape(2,3,4) % 7 - (0 if '${descr}'[1] in 'ub' else 3)).astype('${descr}')\nnp.save('${f}', a)\nprint(json.dumps(a.astype(float).ravel().tolist()))`)) as number[];
    const a = parseNpy(f, readFileSync(join(dir, f)));
    assert.equal(a.dtype, dtype, descr);
    assert.deepEqual(a.shape, [2, 3, 4], descr);
    assert.deepEqual(values(a), expected, descr);
  }
});

test('0-d and empty arrays keep their shapes', { skip: !hasNumpy && 'numpy not installed' }, () => {
  py(`np.save('scalar.npy', np.float32(2.5))\nnp.save('empty.npy', np.zeros((0, 3), np.int32))`);
  const s = parseNpy('scalar.npy', readFileSync(join(dir, 'scalar.npy')));
  assert.deepEqual([s.shape, values(s)], [[], [2.5]]);
  const e = parseNpy('empty.npy', readFileSync(join(dir, 'empty.npy')));
  assert.deepEqual([e.shape, e.data.length], [[0, 3], 0]);
});

test('npz: savez (stored) and savez_compressed (deflate) members by name, in order', { skip: !hasNumpy && 'numpy not installed' }, async () => {
  py(`x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)\nids = np.arange(5, dtype=np.int64)\nnp.savez('plain.npz', input_ids=ids, pixel=x)\nnp.savez_compressed('packed.npz', input_ids=ids, pixel=x)`);
  for (const f of ['plain.npz', 'packed.npz']) {
    const members = await readNpz(join(dir, f));
    assert.deepEqual(members.map((m) => m.name), ['input_ids', 'pixel'], f);
    assert.deepEqual(values(members[0].array), [0, 1, 2, 3, 4]);
    assert.equal(members[1].array.dtype, 'float32');
    assert.deepEqual(members[1].array.shape, [3, 4]);
    assert.ok(Math.abs(values(members[1].array)[11] - 1) < 1e-7);
  }
});

test('our .npy encoding loads in NumPy with the same values', { skip: !hasNumpy && 'numpy not installed' }, () => {
  const data = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 100);
  writeFileSync(join(dir, 'ours.npy'), encodeNpy({ dtype: 'float32', shape: [5, 6], data }));
  writeFileSync(join(dir, 'ours64.npy'), encodeNpy({ dtype: 'int64', shape: [3], data: BigInt64Array.from([-1n, 0n, 2n ** 40n]) }));
  const out = JSON.parse(py(`a = np.load('ours.npy')\nb = np.load('ours64.npy')\nprint(json.dumps([str(a.dtype), list(a.shape), a.ravel().astype(float).tolist(), str(b.dtype), b.tolist()]))`));
  assert.deepEqual(out.slice(0, 2), ['float32', [5, 6]]);
  assert.deepEqual(out[2], Array.from(data));
  assert.deepEqual(out.slice(3), ['int64', [-1, 0, 2 ** 40]]);
});

test('bad array files are ModelErrors naming the file', async () => {
  const good = encodeNpy({ dtype: 'float32', shape: [4, 4], data: new Float32Array(16) });
  const bad: [string, Uint8Array | string, RegExp][] = [
    ['trunc.npy', good.subarray(0, good.length - 8), /trunc\.npy: is truncated/],
    ['magic.npy', 'not numpy at all', /magic\.npy: is not a NumPy/],
    ['fortran.npy', Buffer.from(new TextDecoder('latin1').decode(good).replace("'fortran_order': False", "'fortran_order': True ")
      , 'latin1'), /Fortran order/],
    ['empty.npz', '', /empty\.npz: is empty/],
    ['cut.npz', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(40)]), /cut\.npz: is not a complete zip archive/],
  ];
  for (const [name, bytes, re] of bad) {
    writeFileSync(join(dir, name), bytes);
    await assert.rejects(readArrayFile(join(dir, name)), (e: unknown) => e instanceof ModelError && re.test(e.message) && !e.message.includes('\n'), name);
  }
  await assert.rejects(readArrayFile(join(dir, 'missing.npy')), /missing\.npy: cannot be read \(ENOENT\)/);
});

/** A one-member zip whose deflated member really inflates to `realSize` bytes but whose headers claim `claimedSize`. */
function zipWithLyingSize(member: string, packed: Uint8Array, claimedSize: number): Buffer {
  const name = Buffer.from(member);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(claimedSize, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(claimedSize, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42);
  const dirOffset = 30 + name.length + packed.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + name.length, 12);
  eocd.writeUInt32LE(dirOffset, 16);
  return Buffer.concat([local, name, packed, central, name, eocd]);
}

test('an .npz deflate bomb is refused at the size its header claims, not inflated', async () => {
  // 256 MiB of zeros in about 256 KB: independent full-flushed blocks, then an empty final block.
  const block = deflateRawSync(Buffer.alloc(16 << 20), { finishFlush: constants.Z_FULL_FLUSH });
  const packed = Buffer.concat([...Array.from({ length: 16 }, () => block), Buffer.from([0x03, 0x00])]);
  writeFileSync(join(dir, 'bomb.npz'), zipWithLyingSize('x.npy', packed, 1000));
  await assert.rejects(readArrayFile(join(dir, 'bomb.npz')), (e: unknown) =>
    e instanceof ModelError && /bomb\.npz: zip entry x\.npy inflates past the 1000 bytes its header says/.test(e.message));
});
