// Keras files through the bundled CLI (the same esbuild CJS bundle users run, so h5wasm's loading is exercised):
// inspect and stats against the truth that test/fixtures/keras/make.py computed with h5py/numpy, and broken files.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli, removeBuild } from '../support/build-engine';

const dir = join(__dirname, '../fixtures/keras');

interface WeightTruth {
  name: string; shape: number[]; dtype: string; count: number; min: number; max: number; mean: number; zeros: number;
  values: number[]; histogram: { edges: number[]; counts: number[] };
}
interface Truth {
  format: string; layers: { name: string; class: string }[]; nodeCount: number; weights: WeightTruth[];
  parameterCount: number; inputs: { shape: unknown[] }[]; outputs: { shape: unknown[] }[];
  keras_version: string; backend?: string; date_saved?: string; optimizerVariables?: number;
}
const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Record<string, Truth>;

let cli: string;
before(async () => {
  cli = await buildCli();
});
after(() => removeBuild(cli));

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
};

/** Legacy weight names carry TF's ":0"; the reader names weights as tfjs-layers does, without it. */
const irName = (n: string) => n.replace(/:\d+$/, '');

for (const [file, want] of Object.entries(truth)) {
  test(`inspect --json on ${file} equals its truth`, () => {
    const r = run('inspect', join(dir, file), '--json');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const got = JSON.parse(r.stdout);
    assert.equal(got.format, want.format);
    assert.equal(got.nodeCount, want.nodeCount);
    assert.equal(got.weightCount, want.weights.length);
    assert.equal(got.parameterCount, want.parameterCount);
    assert.deepEqual(got.producer, { name: 'keras', version: want.keras_version });
    assert.equal(got.metadata.keras_version, want.keras_version || undefined);
    if (want.backend) assert.equal(got.metadata.backend, want.backend);
    if (want.date_saved) assert.equal(got.metadata.date_saved, want.date_saved);
    if (want.optimizerVariables) assert.equal(got.metadata.optimizer_variables, String(want.optimizerVariables));
    assert.deepEqual(got.inputs.map((v: { shape: unknown }) => ({ shape: v.shape })), want.inputs);
    assert.deepEqual(got.outputs.map((v: { shape: unknown }) => ({ shape: v.shape })), want.outputs);
    const classes: Record<string, number> = {};
    for (const l of want.layers) if (l.class !== 'InputLayer') classes[l.class] = (classes[l.class] ?? 0) + 1;
    assert.deepEqual(got.opTypeCounts, classes);
    if (want.nodeCount === 0) assert.ok(got.warnings.some((w: string) => /weights-only/.test(w)), 'a weights-only file says so');
  });

  test(`stats --json on ${file}: names, shapes, dtypes, moments and histograms equal numpy's`, () => {
    const r = run('stats', join(dir, file), '--json', '--bins', '16');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const got = JSON.parse(r.stdout) as { tensors: { name: string; dtype: string; shape: number[]; count: number; min: number; max: number; mean: number; zeros: number; role?: string; histogram: { edges: number[]; counts: number[] } }[] };
    // An archive's optimizer variables are listed too, marked by their role.
    assert.deepEqual(got.tensors.filter((t) => !t.role).map((t) => t.name).sort(), want.weights.map((w) => irName(w.name)).sort());
    for (const w of want.weights) {
      const t = got.tensors.find((x) => x.name === irName(w.name))!;
      assert.equal(t.dtype, w.dtype);
      assert.deepEqual(t.shape, w.shape);
      assert.equal(t.count, w.count);
      assert.equal(t.min, w.min);
      assert.equal(t.max, w.max);
      assert.equal(t.zeros, w.zeros);
      assert.ok(Math.abs(t.mean - w.mean) <= 1e-9 * Math.max(1, Math.abs(w.mean)), `${w.name} mean ${t.mean} vs ${w.mean}`);
      assert.equal(t.histogram.counts.length, 16);
      t.histogram.edges.forEach((e, i) => assert.ok(Math.abs(e - w.histogram.edges[i]) <= 1e-12 * Math.max(1, Math.abs(e)), `${w.name} edge ${i}`));
      // numpy's counts; a value within a stats fine bin (2^-7 relative) of an edge may land on either side.
      const near = (e: number) => w.values.filter((x) => Math.abs(x - e) <= Math.abs(e) * 2 ** -7).length;
      for (let i = 0; i < 16; i++) {
        const slack = near(w.histogram.edges[i]) + near(w.histogram.edges[i + 1]);
        assert.ok(Math.abs(t.histogram.counts[i] - w.histogram.counts[i]) <= slack, `${w.name} bin ${i}: ${t.histogram.counts[i]} vs numpy ${w.histogram.counts[i]}`);
      }
    }
  });
}

const broken: [string, RegExp][] = [
  ['broken/truncated.keras', /^truncated\.keras: is not a complete zip archive/],
  ['broken/no-config.keras', /^no-config\.keras: has no config\.json/],
  ['broken/truncated.h5', /^truncated\.h5: is not a readable HDF5 file \(HDF5: truncated file/],
  ['broken/corrupt.h5', /^corrupt\.h5: is not a readable HDF5 file \(HDF5: .*superblock/],
  ['broken/missing-weights.keras', /^missing-weights\.keras: layer 'dense_2' \(class Dense\) has no weights in model\.weights\.h5/],
  ['broken/missing-weights.h5', /^missing-weights\.h5: layer 'dense_2' \(class Dense\) has no weights in the file/],
  // Its layer group is an HDF5 external link to ../tiny-mlp.h5 (a complete model): followed, the file would open.
  ['broken/external-link.h5', /^external-link\.h5: layer_names lists 'dense' but there is no group model_weights\/dense/],
];
for (const [file, message] of broken) {
  for (const cmd of ['inspect', 'stats']) {
    test(`${cmd} ${file}: exit 1 and one-line {"error": "<file>: <problem>"}, nothing printed by HDF5`, () => {
      const r = run(cmd, join(dir, file), '--json');
      assert.equal(r.signal, null);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const err = JSON.parse(r.stdout).error as string;
      assert.match(err, message);
      assert.doesNotMatch(err, /\n/);
      assert.doesNotMatch(r.stdout + r.stderr, /HDF5-DIAG|\n\s+at /);
    });
  }
}
