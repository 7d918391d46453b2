import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { direct } from './stats-fixtures';
import { buildCli, removeBuild } from '../support/build-engine';

// The bundled CLI (the run's shared bundle under scripts/run-unit-tests.mjs): faster to start than through tsx.
let cli = '';
before(async () => {
  cli = await buildCli();
});
after(() => removeBuild(cli));

const DATA = '/usr/share/libonnx-testdata/data/pytorch-converted';

/** Initializers decoded straight from the protobuf, independently of the project's reader. */
function initializers(path: string): Map<string, { dims: number[]; values: Float32Array }> {
  const m = onnx.ModelProto.decode(readFileSync(path));
  const out = new Map<string, { dims: number[]; values: Float32Array }>();
  for (const t of m.graph!.initializer!) {
    assert.equal(t.dataType, onnx.TensorProto.DataType.FLOAT);
    const raw = t.rawData!;
    const values = raw.length ? new Float32Array(Uint8Array.from(raw).buffer) : Float32Array.from(t.floatData!);
    out.set(t.name!, { dims: t.dims!.map(Number), values });
  }
  return out;
}

for (const name of ['test_Conv2d', 'test_BatchNorm2d_eval', 'test_Linear']) {
  test(`stats --json on ${name} matches a direct computation`, () => {
    const file = `${DATA}/${name}/model.onnx`;
    const json = execFileSync(process.execPath, [cli, 'stats', file, '--json', '--bins', '16'], { encoding: 'utf8' });
    const out = JSON.parse(json) as { tensors: Record<string, unknown>[]; findings: unknown[] };
    assert.ok(Array.isArray(out.findings));
    const want = initializers(file);
    assert.equal(out.tensors.length, want.size);
    for (const t of out.tensors) {
      for (const k of ['name', 'dtype', 'shape', 'count', 'min', 'max', 'mean', 'std', 'zeros', 'nan', 'inf', 'histogram']) assert.ok(k in t, `${k} missing`);
      const w = want.get(t.name as string)!;
      const d = direct(w.values);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(t.shape, w.dims);
      assert.equal(t.count, w.values.length);
      assert.equal(t.min, d.min);
      assert.equal(t.max, d.max);
      assert.ok(Math.abs((t.mean as number) - d.mean) <= 1e-12 * Math.max(1, Math.abs(d.mean)), `${t.name} mean`);
      assert.ok(Math.abs((t.std as number) - d.std) <= 1e-9 * Math.max(1, d.std), `${t.name} std ${t.std} vs ${d.std}`);
      assert.equal(t.zeros, d.zeros);
      assert.equal(t.nan, 0);
      assert.equal(t.inf, 0);
      const h = t.histogram as { edges: number[]; counts: number[] };
      const bins = d.min === d.max ? 1 : 16;
      assert.equal(h.counts.length, bins);
      assert.equal(h.edges[0], d.min);
      assert.equal(h.edges[bins], d.max);
      assert.equal(h.counts.reduce((a, b) => a + b, 0), w.values.length);
      // Exact per bin, except for values within a fine bin (2^-7 relative) of an edge, which may be split.
      const near = (e: number) => Array.from(w.values).filter((x) => Math.abs(x - e) <= Math.abs(e) * 2 ** -7).length;
      for (let i = 0; i < bins; i++) {
        const exact = Array.from(w.values).filter((x) => x >= h.edges[i] && (i === bins - 1 ? x <= h.edges[i + 1] : x < h.edges[i + 1])).length;
        assert.ok(Math.abs(h.counts[i] - exact) <= near(h.edges[i]) + near(h.edges[i + 1]), `${t.name} bin ${i}: ${h.counts[i]} vs ${exact}`);
      }
    }
  });
}

test('stats on a file that is not a model fails with "<file>: <problem>"', () => {
  assert.throws(
    () => execFileSync(process.execPath, [cli, 'stats', 'package.json', '--json'], { encoding: 'utf8', stdio: 'pipe' }),
    (e: { stdout: string; status: number }) => e.status !== 0 && /^package\.json: /.test((JSON.parse(e.stdout) as { error: string }).error),
  );
});
