// The Compare tab in headless Chromium (real webview bundle, real CSP), its host's compareWith answered with the real
// comparison (src/compare) of two ONNX models written by the builder: B has two weights moved, by different amounts.
// Screenshot: test-artifacts/compare-{light,dark}.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { compareJson, compareModels, compareOverlay } from '../../src/compare/compare-models';
import { buildGraphPayload } from '../../src/engine/graph-payload';
import { buildNodeDetails } from '../../src/engine/graph-details';
import { releaseModel } from '../../src/runtime/run-model';
import type { CompareView } from '../../src/protocol/compare';
import type { Model } from '../../src/model';
import { writeModel } from '../support/onnx-builder';
import { mlpLayers, mlpModel, type MlpLayer } from '../unit/compare-fixtures';
import { startHarness, type Harness } from './webview-harness';

const artifacts = resolve(__dirname, '../../test-artifacts');
let harness: Harness;
let dir: string;
let a: Model;
let b: Model;
let view: CompareView;
/** ‖a−b‖/‖a‖ of each weight, computed here from the arrays written. */
let expectedChange: Map<string, number>;

function relChange(x: Float32Array, y: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    d += (x[i] - y[i]) ** 2;
    n += x[i] ** 2;
  }
  return Math.sqrt(d) / Math.sqrt(n);
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'mi-compare-b-'));
  const layers = mlpLayers([8, 16, 4]);
  const moved: MlpLayer[] = layers.map((l) => ({ ...l, weight: Float32Array.from(l.weight), bias: Float32Array.from(l.bias) }));
  moved[1].weight[3] += 2; // a large change in fc2.weight
  moved[0].bias[0] += 0.01; // a small one in fc1.bias
  writeModel(dir, 'a.onnx', mlpModel(layers));
  writeModel(dir, 'b.onnx', mlpModel(moved));
  expectedChange = new Map();
  layers.forEach((l, i) => {
    expectedChange.set(`${l.name}.weight`, relChange(l.weight, moved[i].weight));
    expectedChange.set(`${l.name}.bias`, relChange(l.bias, moved[i].bias));
  });
  a = await openModel(join(dir, 'a.onnx'));
  b = await openModel(join(dir, 'b.onnx'));
  const r = await compareModels(a, b, { outputs: true });
  view = { other: 'b.onnx', json: compareJson(r), overlay: compareOverlay(r, 'a', a.graph) };
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
  for (const m of [a, b]) if (m) await releaseModel(m).then(() => m.dispose?.());
  rmSync(dir, { recursive: true, force: true });
});

const G = `document.querySelector('[data-tab-body="graph"]').miGraph`;

test('the Compare tab shows the comparison: headline, the most changed tensor first, outputs, overlay and divergence links', async () => {
  const changed = [...expectedChange].filter(([, c]) => c > 0).sort((x, y) => y[1] - x[1]).map(([n]) => n);
  assert.deepEqual(changed, ['fc2.weight', 'fc1.bias'], 'the fixture moves two weights, fc2.weight the most');
  assert.ok(view.json.divergence, 'the moved weights make the activations diverge');
  for (const theme of ['light', 'dark'] as const) {
    const calls: unknown[] = [];
    const v = await harness.open({
      view: 'panel',
      theme,
      width: 1000,
      height: 900,
      handlers: {
        getOverview: () => summarize(a, statSync(join(dir, 'a.onnx')).size),
        compareWith: (p) => (calls.push(p), view),
        getGraph: ({ graph }) => buildGraphPayload(a, graph ?? ''),
        getNodeDetails: ({ graph, nodeId }) => buildNodeDetails(a, graph ?? '', nodeId),
      },
      onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'a.onnx', trusted: true }),
    });
    try {
      const { page } = v;
      await page.locator('vscode-tab-header[data-tab="compare"]').click();
      await page.locator('#mi-compare-outputs').check();
      await page.locator('#mi-compare-pick').click();
      await page.locator('#mi-compare-headline').waitFor({ timeout: 10_000 });
      assert.deepEqual(calls, [{ pick: true, outputs: true }]);
      const headline = await page.locator('#mi-compare-headline').innerText();
      const nodes = a.graph.nodes.length;
      assert.match(headline, new RegExp(`^a\\.onnx vs b\\.onnx: ${nodes} nodes matched, 0 added, 0 removed, 0 changed; weights ${a.graph.initializers.length} compared, 2 changed`));
      // The tensor table: changed tensors only, largest relative change first, with the change we computed.
      const rows = await page.locator('.mi-compare-tensors tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
      assert.deepEqual(rows.map((r) => r[0]), changed);
      for (const [name, shown] of rows) {
        const want = expectedChange.get(name!)! * 100;
        assert.ok(Math.abs(parseFloat(shown!) - want) <= 0.05 * want + 0.001, `${name}: shown ${shown}, computed ${want.toFixed(3)}%`);
      }
      // Outputs on the same input: one row per model output; the divergence names a node of A.
      assert.equal(await page.locator('[data-section="outputs"] tbody tr').count(), a.graph.outputs.length);
      const divergence = page.locator('#mi-compare-divergence a');
      // Named as people name the node (its display name), linked by its id.
      assert.equal(await divergence.innerText(), view.json.divergence!.node);
      assert.equal(await divergence.getAttribute('data-node'), view.json.divergence!.nodeId);
      assert.ok(a.graph.nodes.some((n) => n.id === view.json.divergence!.nodeId));
      await page.screenshot({ path: join(artifacts, `compare-${theme}.png`), fullPage: true });
      // Show on graph: the Graph tab opens with the comparison's overlay.
      await page.locator('#mi-compare-overlay').click();
      await page.locator('[data-tab-body="graph"]').waitFor({ state: 'visible', timeout: 10_000 });
      await page.waitForFunction(`${G}?.scene?.count > 0`, undefined, { timeout: 20_000 });
      const overlay = await page.evaluate(`${G}.overlay`) as { values: Record<string, number> };
      assert.deepEqual(overlay.values, view.overlay.values);
      // Back to Compare; the divergence link selects that node on the graph.
      await page.locator('vscode-tab-header[data-tab="compare"]').click();
      await divergence.click();
      await page.locator('[data-tab-body="graph"]').waitFor({ state: 'visible', timeout: 10_000 });
      const want = view.json.divergence!.nodeId;
      await page.waitForFunction(`(() => { const g = ${G}; return g.selected >= 0 && g.vm.payload.nodes[g.selected].id === ${JSON.stringify(want)}; })()`, undefined, { timeout: 10_000 });
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
});

test('a model compared with an identical copy: says every weight is identical, lists no unchanged scopes', async () => {
  const r = await compareModels(a, a, { outputs: false });
  const same: CompareView = { other: 'a-copy.onnx', json: compareJson(r), overlay: compareOverlay(r, 'a', a.graph) };
  assert.ok(same.json.scopes.length > 0, 'the comparison has scopes (all unchanged)');
  const v = await harness.open({
    view: 'panel',
    theme: 'light',
    handlers: { getOverview: () => summarize(a, statSync(join(dir, 'a.onnx')).size), compareWith: () => same },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'a.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('vscode-tab-header[data-tab="compare"]').click();
    await page.locator('#mi-compare-pick').click();
    await page.locator('#mi-compare-same-weights').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#mi-compare-same-weights').innerText(), 'Every matched weight is identical.');
    assert.equal(await page.locator('[data-section="weights"] table').count(), 0, 'a table of scopes that did not change');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});
