// Hostile pickles inside otherwise valid torch archives: each names a callable that is not on the allowlist, and
// the reader must refuse it by name without running anything. Each payload would create a marker file; the test
// checks the marker is absent after our reader ran, and (where a Python is installed) that Python's own pickle does
// create it from the same bytes, so the payloads are live.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { buildCli, removeBuild } from '../support/build-engine';
import { FIXTURES, entriesOf, zipOf } from './pytorch-fixtures';

let cli: string;
let dir: string;
let real: [string, Uint8Array][];
before(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'mi-pt-evil-'));
  real = await entriesOf(join(FIXTURES, 'state_dict.pt'));
});
after(() => {
  removeBuild(cli);
  rmSync(dir, { recursive: true, force: true });
});

// Pickle opcodes, written by hand.
const bytes = (...parts: (number[] | Uint8Array | string)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const str = (s: string) => bytes('X', u32(Buffer.byteLength(s)), Buffer.from(s, 'utf8'));
const global = (m: string, n: string) => `c${m}\n${n}\n`;
const PROTO2 = [0x80, 2];
const TUPLE1 = [0x85];

/** The hostile pickles: what each names, and its bytes given the shell command that would make the marker. */
const payloads: { name: string; refers: string; pickle: (cmd: string, marker: string) => Buffer }[] = [
  { name: 'os.system', refers: 'os.system', pickle: (cmd) => bytes(PROTO2, global('os', 'system'), str(cmd), TUPLE1, 'R.') },
  { name: 'subprocess.Popen', refers: 'subprocess.Popen', pickle: (_c, m) => bytes(PROTO2, global('subprocess', 'Popen'), ']', '(', str('touch'), str(m), 'e', TUPLE1, 'R.') },
  { name: 'builtins.eval', refers: 'builtins.eval', pickle: (cmd) => bytes(PROTO2, global('builtins', 'eval'), str(`__import__('os').system(${JSON.stringify(cmd)})`), TUPLE1, 'R.') },
  { name: 'posix.system (protocol 4, STACK_GLOBAL)', refers: 'posix.system', pickle: (cmd) => bytes([0x80, 4], [0x8c, 5], 'posix', [0x94, 0x8c, 6], 'system', [0x94, 0x93, 0x94], str(cmd), TUPLE1, 'R.') },
  { name: 'nt.system via INST (protocol 0)', refers: 'nt.system', pickle: (cmd) => bytes('(V', cmd, '\n', 'int\nsystem\n.') },
  {
    // What pickle.dumps(obj, protocol=2) writes for a class whose __reduce__ returns (os.system, (cmd,)), hidden in
    // a state dict after a real tensor entry, so the refusal comes mid-stream.
    name: '__reduce__ payload inside a state_dict',
    refers: 'posix.system',
    pickle: (cmd) => bytes(
      PROTO2, global('collections', 'OrderedDict'), 'q\x00)Rq\x01(',
      str('w'), global('torch._utils', '_rebuild_tensor_v2'), '((', str('storage'), global('torch', 'FloatStorage'), str('0'), str('cpu'), 'K\x02tQK\x00K\x02', TUPLE1, 'K\x01', TUPLE1, '\x89h\x00)Rtq\x02R',
      str('evil'), global('posix', 'system'), 'q\x03', str(cmd), 'q\x04', TUPLE1, 'q\x05Rq\x06',
      'u.',
    ),
  },
];

const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0);

function archiveWith(dataPkl: Uint8Array, file: string): string {
  const entries = real.map(([n, b]): [string, Uint8Array] => [n, n.endsWith('/data.pkl') ? dataPkl : b]);
  const path = join(dir, file);
  writeFileSync(path, zipOf(entries));
  return path;
}

payloads.forEach((p, i) => {
  test(`a pickle calling ${p.name} is refused by name and nothing runs`, async () => {
    const marker = join(dir, `marker-${i}`);
    const pickle = p.pickle(`touch ${marker}`, marker);
    const path = archiveWith(pickle, `evil-${i}.pt`);
    const want = `evil-${i}.pt: pickle refers to ${p.refers}, which is not on the allowlist of data types (nothing was executed)`;

    const r = spawnSync(process.execPath, [cli, 'inspect', path, '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { error: want });
    await assert.rejects(openModel(path), (e: unknown) => e instanceof ModelError && e.message === want);
    const s = spawnSync(process.execPath, [cli, 'stats', path, '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(s.status, 1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a spawned process would have had time to run
    assert.equal(existsSync(marker), false, 'the payload ran');

  });
});

test('the payloads are live: Python\'s own pickle runs them (skipped without Python)', { skip: !python && 'no python3' }, async () => {
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i];
    if (p.refers.startsWith('nt.')) continue; // Windows only
    const marker = join(dir, `live-${i}`);
    const raw = join(dir, `live-${i}.pkl`);
    writeFileSync(raw, p.pickle(`touch ${marker}`, marker));
    // The state-dict payload names torch and a storage first: stand-ins for those (only) get Python past them.
    const code = [
      'import pickle, sys, time',
      'class U(pickle.Unpickler):',
      '    def persistent_load(self, pid): return None',
      '    def find_class(self, m, n):',
      '        if m.startswith("torch"): return lambda *a, **k: None',
      '        return super().find_class(m, n)',
      'try: U(open(sys.argv[1], "rb")).load()',
      'except Exception: pass',
      'time.sleep(0.3)',
    ].join('\n');
    spawnSync(python!, ['-c', code, raw], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(existsSync(marker), true, `${p.name}: Python did not run it`);
  }
});

test('a memo "billion laughs" pickle is walked within bounds, quickly', async () => {
  // 60 levels, each a list holding the previous one twice: 2^60 paths through 61 objects.
  const parts: (number[] | string | Buffer)[] = [PROTO2, ']q\x00'];
  for (let i = 0; i < 60; i++) parts.push(`(h${String.fromCharCode(i)}h${String.fromCharCode(i)}lq${String.fromCharCode(i + 1)}`);
  parts.push('.');
  const path = archiveWith(bytes(...parts), 'laughs.pt');
  // CPU time of this process, not wall time: a loaded machine stretches the latter, not the work done.
  const cpu0 = process.cpuUsage();
  const m = await openModel(path);
  try {
    assert.equal(m.graph.initializers.length, 0);
    assert.ok(m.warnings.some((w) => /too large to walk whole/.test(w)), m.warnings.join('; '));
  } finally {
    await m.dispose?.();
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`billion laughs: opened with ${cpuMs.toFixed(0)} ms of CPU`);
  assert.ok(cpuMs < 20_000, 'walking 2^60 paths would not finish this soon');
});
