// Broken PyTorch files through the bundled CLI: each gives exit code 1 and {"error": "<file>: <problem>"} naming
// the problem, never a stack trace. Damaged archives are made from the real state_dict.pt fixture.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, removeBuild } from '../support/build-engine';
import { FIXTURES, entriesOf, truth, zipOf } from './pytorch-fixtures';

let cli: string;
let dir: string;
let real: [string, Uint8Array][];
const source = join(FIXTURES, 'state_dict.pt');
before(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'mi-pt-bad-'));
  real = await entriesOf(source);
});
after(() => {
  removeBuild(cli);
  rmSync(dir, { recursive: true, force: true });
});

/** The storage entry of the fixture's biggest tensor, and that tensor's name. */
function biggest(): { entry: string; bytes: number } {
  const storages = real.filter(([n]) => /\/data\/\d+$/.test(n));
  const [entry, b] = storages.reduce((a, x) => (x[1].byteLength > a[1].byteLength ? x : a));
  return { entry, bytes: b.byteLength };
}

function rewritten(file: string, change: (entries: [string, Uint8Array][]) => [string, Uint8Array][]): string {
  const path = join(dir, file);
  writeFileSync(path, zipOf(change(real.map(([n, b]) => [n, b]))));
  return path;
}

const cases: { name: string; make: () => string; problem: RegExp }[] = [
  {
    name: 'a truncated archive',
    make: () => {
      const path = join(dir, 'cut.pt');
      const b = readFileSync(source);
      writeFileSync(path, b.subarray(0, Math.floor(b.byteLength / 2)));
      return path;
    },
    problem: /^cut\.pt: is not a complete zip archive \(no end-of-central-directory record/,
  },
  {
    name: 'data.pkl truncated mid-stream',
    make: () => rewritten('short-pickle.pt', (es) => es.map(([n, b]) => [n, n.endsWith('/data.pkl') ? b.subarray(0, Math.floor(b.byteLength / 2)) : b])),
    problem: /^short-pickle\.pt: data\.pkl: truncated: /,
  },
  {
    name: 'a storage entry missing',
    make: () => rewritten('no-storage.pt', (es) => es.filter(([n]) => n !== biggest().entry)),
    problem: /^no-storage\.pt: storage state_dict\/data\/\d+ \(of tensor "fc\.weight"\) is missing from the archive$/,
  },
  {
    name: 'a storage shorter than its tensor',
    make: () => rewritten('short-storage.pt', (es) => es.map(([n, b]) => [n, n === biggest().entry ? b.subarray(0, 100) : b])),
    problem: /^short-storage\.pt: tensor "fc\.weight": needs bytes up to 1280 of storage state_dict\/data\/\d+, which holds 100 /,
  },
  {
    name: 'an unknown pickle opcode',
    make: () => rewritten('bad-op.pt', (es) => es.map(([n, b]) => [n, n.endsWith('/data.pkl') ? Uint8Array.from([0x80, 2, 0xff, 0x2e]) : b])),
    problem: /^bad-op\.pt: data\.pkl: unknown pickle opcode 0xff at byte 2$/,
  },
  {
    name: 'a zip without data.pkl',
    make: () => rewritten('plain.pth', (es) => es.filter(([n]) => !n.endsWith('/data.pkl'))),
    problem: /^plain\.pth: is a zip archive without a <folder>\/data\.pkl entry/,
  },
  {
    name: 'a legacy (torch < 1.6) file cut inside its storages',
    make: () => {
      const path = join(dir, 'legacy-cut.pt');
      const b = readFileSync(join(FIXTURES, 'legacy.pt'));
      writeFileSync(path, b.subarray(0, b.byteLength - 50));
      return path;
    },
    problem: /^legacy-cut\.pt: legacy format: storage \d+ of \d+ elements at byte \d+ is beyond the end of the file/,
  },
  {
    name: 'a legacy file cut inside its pickles',
    make: () => {
      const path = join(dir, 'legacy-cut-pickle.pt');
      writeFileSync(path, readFileSync(join(FIXTURES, 'legacy.pt')).subarray(0, 400));
      return path;
    },
    problem: /^legacy-cut-pickle\.pt: the object pickle: truncated: /,
  },
  {
    name: 'a whole pickled nn.Module, written by torch.save(model)',
    make: () => {
      const path = join(dir, 'whole-model.pt');
      writeFileSync(path, readFileSync(join(FIXTURES, 'whole-model.pt')));
      return path;
    },
    problem: /^whole-model\.pt: pickle refers to __main__\.Tiny, which is not on the allowlist of data types \(nothing was executed; a whole pickled model is not read, save its state_dict\(\) instead\)$/,
  },
  {
    name: 'a bare pickle named .pt',
    make: () => {
      const path = join(dir, 'bare.pt');
      writeFileSync(path, Buffer.from('\x80\x02}q\x00.', 'latin1'));
      return path;
    },
    problem: /^bare\.pt: is a bare pickle, not a torch\.save file; it is not read \(re-save with torch\.save\)$/,
  },
  {
    name: 'a text file named .jit (offered as a TorchScript archive by its name)',
    make: () => {
      const path = join(dir, 'notes.jit');
      writeFileSync(path, 'not a model\n');
      return path;
    },
    problem: /^notes\.jit: is not a PyTorch file: not a zip archive \(.*\) and no pickle protocol header \(.*\); it begins 6e 6f 74 20 61 20 6d 6f \("not a mo"\)$/,
  },
];

test('the fixture the damage starts from is whole', () => {
  assert.ok(truth.files['state_dict.pt'].tensors.some((t) => t.name === 'fc.weight' && t.count * 4 === biggest().bytes));
  const r = spawnSync(process.execPath, [cli, 'inspect', rewritten('rewritten.pt', (es) => es), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
});

for (const c of cases) {
  test(`${c.name}: exit 1 with "<file>: <problem>"`, () => {
    const path = c.make();
    for (const verb of ['inspect', 'stats']) {
      const r = spawnSync(process.execPath, [cli, verb, path, '--json'], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.signal, null);
      assert.equal(r.status, 1, `${verb}: ${r.stdout}${r.stderr}`);
      const { error } = JSON.parse(r.stdout) as { error: string };
      assert.match(error, c.problem);
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at |\.(js|ts):\d+/);
    }
  });
}

test('opening reads no storage: a damaged storage entry fails only when its tensor is read', () => {
  // Break the local header signature of the biggest storage; the central directory still lists it whole.
  const good = zipOf(real);
  const { entry } = biggest();
  const name = Buffer.from(entry, 'utf8');
  let at = -1;
  for (let i = good.indexOf(name); i >= 0; i = good.indexOf(name, i + 1)) {
    if (good.readUInt32LE(i - 30) === 0x04034b50) at = i - 30;
  }
  assert.ok(at >= 0);
  good.writeUInt32LE(0xdeadbeef, at);
  const path = join(dir, 'bad-header.pt');
  writeFileSync(path, good);
  const inspect = spawnSync(process.execPath, [cli, 'inspect', path, '--json'], { encoding: 'utf8' });
  assert.equal(inspect.status, 0, inspect.stdout);
  // The file's tensors, num_batches_tracked (a counter, counted apart) aside.
  const s = JSON.parse(inspect.stdout) as { parameterCount: number; otherTensors?: { counter?: { elements: number } } };
  assert.equal(s.parameterCount + (s.otherTensors?.counter?.elements ?? 0), truth.files['state_dict.pt'].parameterCount);
  const stats = spawnSync(process.execPath, [cli, 'stats', path, '--json'], { encoding: 'utf8' });
  const out = JSON.parse(stats.stdout) as { error?: string; tensors?: { name: string; problem?: string }[] };
  // Either the whole command fails naming the entry, or that tensor carries the problem.
  const message = out.error ?? out.tensors?.find((t) => t.name === 'fc.weight')?.problem ?? '';
  assert.match(message, new RegExp(`zip entry ${entry.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no local file header`));
});
