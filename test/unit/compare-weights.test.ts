// Weights comparison on real ONNX pairs: a model and a copy with ONE layer perturbed (found, and only it), with a
// tensor bigger than one streaming chunk in external data; statistics checked against a direct computation.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { compareModels } from '../../src/compare/compare-models';
import { CHUNK_ELEMENTS } from '../../src/stats/scan';
import { mlpLayers, noise, writeMlp } from './compare-fixtures';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mi-compare-w-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** ‖a−b‖/‖a‖, cosine, max |a−b| computed directly in float64. */
function direct(a: Float32Array, b: Float32Array) {
  let aa = 0, bb = 0, ab = 0, dd = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    ab += a[i] * b[i];
    dd += d * d;
    max = Math.max(max, Math.abs(d));
  }
  return { rel: Math.sqrt(dd / aa), cos: ab / Math.sqrt(aa * bb), max };
}

for (const storage of ['raw', 'external'] as const) {
  test(`a copy with one layer perturbed (${storage} weights): that tensor and only it differs, nodes unchanged`, async () => {
    // fc2 is [1100, 1000]: 1.1 M elements, more than one streaming chunk.
    assert.ok(1100 * 1000 > CHUNK_ELEMENTS);
    const layers = mlpLayers([16, 1100, 1000, 10]);
    const perturbed = layers.map((l) => ({ ...l }));
    const w = Float32Array.from(layers[1].weight);
    const delta = noise(w.length, 99, 1e-3);
    // Only every 7th element moves, so the histogram has a big zero bin and spread tails.
    for (let i = 0; i < w.length; i += 7) w[i] += delta[i];
    perturbed[1] = { ...layers[1], weight: w };
    const pa = writeMlp(dir, `a-${storage}.onnx`, layers, { storage });
    const pb = writeMlp(dir, `b-${storage}.onnx`, perturbed, { storage });
    const ma = await openModel(pa);
    const mb = await openModel(pb);
    try {
      const r = await compareModels(ma, mb, { outputs: false });
      assert.deepEqual(r.nodes.added, []);
      assert.deepEqual(r.nodes.removed, []);
      assert.deepEqual(r.nodes.changed, []);
      assert.equal(r.nodes.pairs.length, ma.graph.nodes.length);
      assert.deepEqual(r.weights.unmatched, { a: [], b: [] });
      assert.equal(r.weights.tensors.length, 6);
      for (const t of r.weights.tensors) {
        assert.equal(t.problem, undefined);
        assert.equal(t.matchedBy, 'name');
        if (t.name !== 'fc2.weight') {
          assert.equal(t.relChange, 0, t.name);
          assert.equal(t.maxAbsDiff, 0, t.name);
          assert.equal(t.cosine, 1, t.name);
          continue;
        }
        const d = direct(layers[1].weight, w);
        assert.ok(t.relChange! > 0);
        assert.ok(Math.abs(t.relChange! - d.rel) <= 1e-9 * d.rel, `rel ${t.relChange} vs ${d.rel}`);
        assert.ok(Math.abs(t.cosine! - d.cos) <= 1e-12, `cos ${t.cosine} vs ${d.cos}`);
        assert.equal(t.maxAbsDiff, d.max);
        // Histogram: 64 bins over [−max, max], counts add up, each bin equals a direct count except for
        // differences within a fine bin (2^-7 relative) of an edge.
        const h = t.histogram!;
        assert.equal(h.counts.length, 64);
        assert.equal(h.edges[0], -d.max);
        assert.equal(h.edges[64], d.max);
        assert.equal(h.counts.reduce((s, c) => s + c, 0), w.length);
        // One pass: each difference's exact bin (by scanning the edges), and whether it lies near an edge.
        const exact = new Array<number>(64).fill(0);
        const slack = new Array<number>(65).fill(0);
        for (let i = 0; i < w.length; i++) {
          const x = layers[1].weight[i] - w[i];
          let k = 0;
          while (k < 63 && x >= h.edges[k + 1]) k++;
          exact[k]++;
          if (x === 0) continue;
          for (const e of [k, k + 1]) if (Math.abs(x - h.edges[e]) <= Math.abs(h.edges[e]) * 2 ** -7) slack[e]++;
        }
        for (let k = 0; k < 64; k++) {
          assert.ok(Math.abs(h.counts[k] - exact[k]) <= slack[k] + slack[k + 1], `bin ${k}: ${h.counts[k]} vs ${exact[k]}`);
        }
        assert.ok(exact[31] + exact[32] >= w.length * 6 / 7, 'the unchanged elements sit in the middle bins');
      }
      // The changed scope comes first; every other scope has not changed.
      assert.equal(r.weights.scopes[0].scope, 'fc2');
      assert.equal(r.weights.scopes[0].changed, 1);
      for (const s of r.weights.scopes.slice(1)) assert.equal(s.relChange, 0, s.scope);
      // Both files read once each, whole.
      const bytes = [...ma.graph.initializers, ...mb.graph.initializers].reduce((s, t) => s + t.data!.byteLength, 0);
      assert.equal(r.weights.bytes, bytes);
    } finally {
      await ma.dispose?.();
      await mb.dispose?.();
    }
  });
}

test('NaN in a weight is counted and left out, not spread into every statistic', async () => {
  const layers = mlpLayers([4, 6, 3], 3);
  const w = Float32Array.from(layers[0].weight);
  w[2] = NaN;
  w[5] += 0.25;
  const pa = writeMlp(dir, 'nan-a.onnx', layers);
  const pb = writeMlp(dir, 'nan-b.onnx', [{ ...layers[0], weight: w }, layers[1]]);
  const ma = await openModel(pa);
  const mb = await openModel(pb);
  try {
    const r = await compareModels(ma, mb, { outputs: false });
    const t = r.weights.tensors.find((x) => x.name === 'fc1.weight')!;
    assert.equal(t.nonFinite, 1);
    const a = layers[0].weight.filter((_, i) => i !== 2);
    const b = w.filter((_, i) => i !== 2);
    const d = direct(a, b);
    assert.ok(Math.abs(t.relChange! - d.rel) <= 1e-12);
    assert.equal(t.maxAbsDiff, d.max);
    assert.equal(t.histogram!.counts.reduce((s, c) => s + c, 0), a.length);
  } finally {
    await ma.dispose?.();
    await mb.dispose?.();
  }
});
