// The PyTorch reader on fixtures written by real torch 1.13 (test/fixtures/pytorch/make.py): inspect --json through
// the bundled CLI equals the truth torch computed; tensor names, dtypes, shapes and values (views of shared
// storages included) equal torch's; histograms equal numpy's on the same edges.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { exactHistograms } from '../../src/stats/exact-histogram';
import { buildCli, removeBuild } from '../support/build-engine';
import { FIXTURES, decode, dequantized, entriesOf, truth, zipOf } from './pytorch-fixtures';

let cli: string;
before(async () => {
  cli = await buildCli();
});
after(() => removeBuild(cli));

const runCli = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

for (const [file, want] of Object.entries(truth.files)) {
  const path = join(FIXTURES, file);

  test(`inspect --json on ${file} equals torch's truth`, () => {
    const r = runCli('inspect', path, '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & { metadata: Record<string, string> };
    assert.equal(s.format, want.format);
    assert.equal(s.nodeCount, 0);
    assert.deepEqual(s.inputs, []);
    assert.deepEqual(s.outputs, []);
    // Every tensor of the file is counted once: as a parameter, or apart by its role (stats-roles.test.ts checks which).
    const others = Object.values((s.otherTensors ?? {}) as Record<string, { count: number; elements: number }>);
    assert.equal((s.weightCount as number) + others.reduce((n, o) => n + o.count, 0), want.tensors.length);
    assert.equal((s.parameterCount as number) + others.reduce((n, o) => n + o.elements, 0), want.parameterCount);
    assert.equal(s.metadata.TorchScript, want.torchScript ? 'yes' : 'no');
    assert.equal(s.metadata.storages, String(want.storages));
    assert.equal(s.metadata['byte order'], 'little');
    if (want.legacy) {
      assert.equal(s.metadata.format, 'legacy torch.save (torch < 1.6)');
      assert.equal(s.metadata['protocol version'], '1001');
    } else {
      assert.match(s.metadata['archive version'], /^\d+$/);
    }
    for (const [k, v] of Object.entries(want.scalars)) assert.equal(s.metadata[k], String(v), k);
  });

  test(`${file}: tensor names, dtypes, shapes and values equal torch's`, async () => {
    const model = await openModel(path);
    try {
      const got = model.graph.initializers;
      assert.deepEqual(got.map((t) => t.name).sort(), want.tensors.map((t) => t.name).sort());
      for (const w of want.tensors) {
        const t = got.find((x) => x.name === w.name)!;
        assert.equal(t.dtype, w.dtype, w.name);
        assert.deepEqual(t.shape, w.shape, w.name);
        assert.equal(t.elementCount, w.count, w.name);
        assert.equal(t.problem, undefined, w.name);
        if (w.quantization) {
          assert.equal(t.storedDType, w.storedDType, w.name);
          assert.deepEqual(t.quantization, { kind: 'affine', ...w.quantization }, w.name);
        }
        if (w.values) {
          const bytes = await t.data!.read(0, t.data!.byteLength);
          const stored = decode(t.storedDType ?? t.dtype, bytes, t.elementCount);
          assert.deepEqual(w.quantization ? dequantized(stored, w.shape, w.quantization) : stored, w.values, `${w.name} values`);
        }
      }
    } finally {
      await model.dispose?.();
    }
  });

  test(`${file}: exact histograms equal numpy's on the same edges`, async () => {
    const model = await openModel(path);
    try {
      for (const w of want.tensors.filter((x) => x.histogram)) {
        const bins = w.histogram!.counts.length;
        const [h] = await exactHistograms(model, { tensors: [w.name], bins, symmetric: false, raw: false });
        assert.deepEqual(h.histogram.edges, w.histogram!.edges, `${w.name} edges`);
        assert.deepEqual(h.histogram.counts, w.histogram!.counts, `${w.name} counts`);
      }
    } finally {
      await model.dispose?.();
    }
  });

  test(`stats --json on ${file}: min, max and histograms agree with numpy`, () => {
    const r = runCli('stats', path, '--json', '--bins', String(truth.bins));
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { tensors: { name: string; min: number; max: number; count: number; histogram: { edges: number[]; counts: number[] } }[] };
    for (const w of want.tensors.filter((x) => x.histogram)) {
      const t = out.tensors.find((x) => x.name === w.name);
      assert.ok(t, `${w.name} missing from stats`);
      assert.equal(t.count, w.count);
      assert.equal(t.min, w.min, `${w.name} min`);
      assert.equal(t.max, w.max, `${w.name} max`);
      assert.deepEqual(t.histogram.edges, w.histogram!.edges, `${w.name} edges`);
      // The display histogram comes from fine bins: exact except for values within 2^-7 of an edge, which may split.
      const near = w.histogram!.nearEdge;
      for (let i = 0; i < w.histogram!.counts.length; i++) {
        assert.ok(Math.abs(t.histogram.counts[i] - w.histogram!.counts[i]) <= near[i] + near[i + 1], `${w.name} bin ${i}: ${t.histogram.counts[i]} vs ${w.histogram!.counts[i]}`);
      }
    }
  });
}

test('a big-endian archive (byteorder "big") reads the same values, strided views included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-pt-be-'));
  try {
    // views.pt has two storages: data/0 float32 (base and its views) and data/1 float64 ('other'), in make.py's order.
    const width: Record<string, number> = { 'views/data/0': 4, 'views/data/1': 8 };
    const entries = (await entriesOf(join(FIXTURES, 'views.pt'))).map(([n, b]): [string, Uint8Array] => {
      const w = width[n];
      if (!w) return [n, b];
      const swapped = new Uint8Array(b.byteLength);
      for (let i = 0; i < b.byteLength; i += w) for (let k = 0; k < w; k++) swapped[i + k] = b[i + w - 1 - k];
      return [n, swapped];
    });
    assert.equal(entries.filter(([n]) => width[n]).length, 2);
    entries.push(['views/byteorder', new TextEncoder().encode('big')]);
    const path = join(dir, 'big.pt');
    writeFileSync(path, zipOf(entries));
    const model = await openModel(path);
    try {
      assert.equal(model.metadata['byte order'], 'big');
      for (const w of truth.files['views.pt'].tensors) {
        const t = model.graph.initializers.find((x) => x.name === w.name)!;
        assert.deepEqual(decode(t.dtype, await t.data!.read(0, t.data!.byteLength), t.elementCount), w.values, w.name);
      }
    } finally {
      await model.dispose?.();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
