// The Weights tab's health section on a freshly initialised network (newcomer tour, issue 14): a TF.js MobileNet
// showed "Health (163)" over 163 info rows of all-zero biases and normalization shifts, which are usual at
// initialization. Problems stay in the table; many notes fold under one line that counts them by kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../src/runtime/summary';
import { computeModelStats, exactHistograms } from '../../src/stats';
import { f32, irModel, node, normals } from '../unit/stats-fixtures';
import { startHarness, type Harness } from './webview-harness';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => harness?.close());

test('many info notes fold under one line; the problems keep their table', async () => {
  const bad = normals(64, 1, 0.1);
  bad[3] = NaN;
  const tensors = [f32('head.weight', [8, 8], bad)];
  const nodes = [node('fc', 'MatMul', ['x', 'head.weight'])];
  for (let i = 0; i < 12; i++) {
    tensors.push(f32(`bn${i}.beta`, [16], new Float32Array(16)));
    nodes.push(node(`bn${i}`, 'BatchNormalization', ['fc:out', `bn${i}.beta`]));
  }
  const model = irModel(tensors, nodes);
  const stats = await computeModelStats(model);
  const infos = stats.findings.filter((f) => f.severity === 'info').length;
  // Each zero bias is a note twice: all-zero, and the same bytes as the others (duplicate).
  assert.equal(stats.findings.filter((f) => f.severity === 'info' && f.kind === 'all-zero').length, 12, 'the stats module calls the zero biases notes (info)');
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: { getOverview: () => summarize(model, 1234), getWeightStats: () => stats, getHistograms: (req) => exactHistograms(model, req) },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'fresh.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="weights"]').click();
    await page.locator('#mi-weights-tensors tbody tr').first().waitFor({ timeout: 10_000 });
    const problems = await page.locator('#mi-weights-findings tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')));
    assert.deepEqual(problems, ['nan'], 'only the problem is in the findings table');
    assert.match(await page.locator('.mi-weights-body h3').first().innerText(), new RegExp(`^Health: 1 problem, ${infos} notes$`));
    const notes = page.locator('#mi-weights-notes');
    assert.equal(await notes.evaluate((d) => (d as HTMLDetailsElement).open), false, 'the notes start folded');
    assert.match(await notes.locator('summary').innerText(), new RegExp(`^${infos} notes: .*all-zero 12`));
    await notes.locator('summary').click();
    assert.equal(await page.locator('#mi-weights-notes-table tbody tr').count(), infos);
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});
