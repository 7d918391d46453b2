// The restricted unpickler against Python's own pickle: the same data pickled with every protocol (0-5) by Python
// reads back to the same values; the allowlisted helpers Python uses for bytes, sets and OrderedDicts build inert
// values. Skipped where no python3 is installed (the archive tests cover the VM everywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PyDevice, PyDict, PyGlobal, PySet, PyTuple, type PyValue } from '../../src/formats/pytorch/pickle-values';
import { resolveGlobal } from '../../src/formats/pytorch/torch-globals';
import { unpickle } from '../../src/formats/pytorch/unpickler';

const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0);

// Python writes each protocol's pickle (base64) and a canonical JSON of the value it pickled.
const script = String.raw`
import base64, collections, json, pickle
value = {
  'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**53, 2**70, -2**70],
  'floats': [0.5, -1e-300, 1e300, 3.141592653589793],
  'text': ['', 'plain', 'ünïcödé ✓', 'line\nbreak \\ backslash'],
  'bytes': [b'', b'\x00\x01\xff', bytes(range(256))],
  'flags': [None, True, False],
  'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
  'sets': [set(), {1, 2, 3}, frozenset({'a'})],
  'nested': collections.OrderedDict([('a', [1, [2, [3]]]), (4, {'k': (5,)})]),
  'shared': None,
}
inner = [1, 2]
value['shared'] = [inner, inner]
def canon(v):
  if isinstance(v, bool) or v is None: return v
  if isinstance(v, int): return v if abs(v) < 2**53 else {'int': str(v)}
  if isinstance(v, float): return v
  if isinstance(v, str): return v
  if isinstance(v, (bytes, bytearray)): return {'bytes': v.hex()}
  if isinstance(v, tuple): return {'tuple': [canon(x) for x in v]}
  if isinstance(v, list): return [canon(x) for x in v]
  if isinstance(v, (set, frozenset)): return {'set': sorted(json.dumps(canon(x)) for x in v)}
  if isinstance(v, dict): return {'dict': [[canon(k), canon(x)] for k, x in v.items()]}
  raise TypeError(type(v))
print(json.dumps({'canon': canon(value), 'pickles': {p: base64.b64encode(pickle.dumps(value, protocol=p)).decode() for p in range(6)}}))
`;

function canon(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return { int: String(v) };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (v instanceof PyTuple) return { tuple: v.items.map(canon) };
  if (Array.isArray(v)) return v.map(canon);
  if (v instanceof PySet) return { set: v.items.map((x) => JSON.stringify(canon(x))).sort() };
  if (v instanceof PyDict) return { dict: v.keys.map((k, i) => [canon(k), canon(v.values[i])]) };
  throw new Error(`unexpected ${String(v)}`);
}

const read = (bytes: Uint8Array) =>
  unpickle(bytes, {
    file: 'test.pkl',
    what: 'data.pkl',
    global: (m, n) => resolveGlobal(m, n, { file: 'test.pkl', what: 'data.pkl', torchScript: false }),
    persistentLoad: () => { throw new Error('no persistent ids here'); },
  });

test('every pickle protocol Python writes reads back to the same values', { skip: !python && 'no python3' }, async () => {
  const r = spawnSync(python!, ['-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { canon: unknown; pickles: Record<string, string> };
  for (const [protocol, b64] of Object.entries(out.pickles)) {
    const v = await read(Buffer.from(b64, 'base64'));
    // JSON round trip on both sides so that -0 and number formatting compare alike.
    assert.deepEqual(JSON.parse(JSON.stringify(canon(v))), out.canon, `protocol ${protocol}`);
  }
});

test('shared objects stay shared and torch value globals stay inert', async () => {
  // [x, x] through the memo, then torch.device('cuda', 1) and torch.float16 as values.
  const bytes = Buffer.concat([
    Buffer.from([0x80, 2]), Buffer.from(']q\x00(K\x01e', 'latin1'), Buffer.from('(h\x00h\x00', 'latin1'),
    Buffer.from('ctorch\ndevice\nX\x04\x00\x00\x00cudaK\x01\x86R', 'latin1'),
    Buffer.from('ctorch\nfloat16\nl.', 'latin1'),
  ]);
  const v = (await read(bytes)) as PyValue[];
  assert.equal(v[0], v[1]);
  assert.ok(v[2] instanceof PyDevice && v[2].spec === 'cuda:1');
  assert.ok(v[3] instanceof PyGlobal && v[3].call === undefined && v[3].qualifiedName === 'torch.float16');
});

test('calling a value global, or BUILD on a list, is refused', async () => {
  await assert.rejects(read(Buffer.from('\x80\x02ctorch\nfloat16\n)R.', 'latin1')), /torch\.float16 is a value, not a constructor/);
  await assert.rejects(read(Buffer.from('\x80\x02]}b.', 'latin1')), /BUILD at byte 4 sets state on a list/);
});
