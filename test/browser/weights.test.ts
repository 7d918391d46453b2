import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { summarize } from '../../src/runtime/summary';
import { computeModelStats, exactHistograms } from '../../src/stats';
import { f32, irModel, node, normals } from '../unit/stats-fixtures';
import { startHarness, type Harness } from './webview-harness';

const artifacts = resolve(__dirname, '../../test-artifacts');
let harness: Harness;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
});
after(async () => harness?.close());

/** A small model with one of each finding: NaN, a dead filter, a duplicate, an all-zero matrix. */
function plantedModel() {
  const conv = normals(16 * 3 * 3 * 3, 1, 0.2);
  conv.fill(0, 4 * 27, 5 * 27);
  const fc = normals(64 * 32, 2, 0.05);
  fc[17] = NaN;
  const emb = normals(32 * 32, 3, 1);
  return irModel([
    f32('block1.conv.weight', [16, 3, 3, 3], conv),
    f32('head.fc.weight', [64, 32], fc),
    f32('emb.a', [32, 32], emb),
    f32('emb.b', [32, 32], Float32Array.from(emb)),
    f32('head.proj.weight', [8, 8], new Float32Array(64)),
  ], [
    node('conv_1', 'Conv', ['x', 'block1.conv.weight'], 'block1'),
    node('fc_1', 'MatMul', ['conv_1:out', 'head.fc.weight'], 'head'),
    node('proj_1', 'MatMul', ['fc_1:out', 'head.proj.weight'], 'head'),
    node('emb_1', 'Add', ['emb.a', 'emb.b'], 'emb'),
  ]);
}

test('the Weights tab shows findings, the tensor table and histograms (single and overlaid), linking to graph nodes', async () => {
  const model = plantedModel();
  const stats = await computeModelStats(model);
  const calls: string[] = [];
  const selections: string[] = [];
  for (const theme of ['light', 'dark'] as const) {
    const v = await harness.open({
      view: 'panel',
      theme,
      width: 1100,
      height: 1100,
      handlers: {
        getOverview: () => summarize(model, 1234),
        getWeightStats: () => (calls.push('stats'), stats),
        getHistograms: (req) => (calls.push(`hist:${req.tensors.join(',')}:${req.bins}`), exactHistograms(model, req)),
      },
      onReady: (rpc) => {
        rpc.emit('init', { view: 'panel', fileName: 'planted.onnx', trusted: true });
        rpc.on('selectNode', ({ nodeId }) => selections.push(nodeId));
      },
    });
    try {
      await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
      await v.page.locator('[data-tab="weights"]').click();
      await v.page.locator('#mi-weights-tensors tbody tr').first().waitFor({ timeout: 10_000 });
      assert.equal(await v.page.locator('#mi-weights-tensors tbody tr').count(), 5);
      // Findings: the NaN error first, then warnings; each kind planted is there.
      const kinds = await v.page.locator('#mi-weights-findings tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-kind')}:${tr.getAttribute('data-tensor')}`));
      assert.equal(kinds[0], 'nan:head.fc.weight');
      for (const k of ['dead-channels:block1.conv.weight', 'all-zero:head.proj.weight', 'duplicate:emb.a', 'duplicate:emb.b']) assert.ok(kinds.includes(k), `${k} in ${kinds}`);
      // The whole-model histogram is drawn: the canvas has painted pixels.
      const painted = () => v.page.locator('#mi-weights-hist').evaluate((c: HTMLCanvasElement) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
      assert.ok((await painted()) > 500, 'model histogram painted');
      // Sorting: click Std twice -> ascending; the all-zero tensor (std 0) comes first.
      await v.page.locator('#mi-weights-tensors th[data-key="std"]').click();
      await v.page.locator('#mi-weights-tensors th[data-key="std"]').click();
      assert.equal(await v.page.locator('#mi-weights-tensors tbody tr').first().getAttribute('data-tensor'), 'head.proj.weight');
      // Select a tensor, then shift-click a second: exact histograms on shared edges are requested and drawn.
      await v.page.locator('#mi-weights-tensors tbody tr[data-tensor="emb.a"]').click();
      await v.page.locator('#mi-weights-facts').getByText('[32, 32]').waitFor({ timeout: 5000 });
      await v.page.locator('#mi-weights-tensors tbody tr[data-tensor="block1.conv.weight"]').click({ modifiers: ['Shift'] });
      await v.page.locator('#mi-weights-chart-title').getByText('Comparing 2 tensors').waitFor({ timeout: 5000 });
      assert.ok(calls.includes('hist:emb.a,block1.conv.weight:64'), calls.join(' '));
      assert.ok((await painted()) > 500, 'overlay painted');
      await v.page.locator('#mi-weights-log').check();
      await v.page.screenshot({ path: join(artifacts, `weights-${theme}.png`), fullPage: true });
      // A finding's node link selects the node and moves to the Graph tab.
      await v.page.locator('#mi-weights-findings a[data-node="conv_1"]').click();
      await v.page.locator('[data-tab-body="graph"]').waitFor({ state: 'visible', timeout: 5000 });
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
  assert.ok(selections.includes('conv_1'), `selectNode events: ${selections}`);
});
