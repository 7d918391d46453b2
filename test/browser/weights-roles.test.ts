// Issue 22: a training checkpoint's counters, BatchNorm statistics and optimizer state are not weights. The Weights
// tab lists them apart (their own table, their own numbers) and keeps them out of the health check; the Overview
// counts the parameters alone and says what else the file holds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import type { Model } from '../../src/model/graph';
import { computeModelStats, exactHistograms } from '../../src/stats';
import { startHarness, type Harness } from './webview-harness';

const artifacts = resolve(__dirname, '../../test-artifacts');
const CHECKPOINT = resolve(__dirname, '../fixtures/roles/bn-adam.pth');
let harness: Harness;
let model: Model;
before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
  model = await openModel(CHECKPOINT);
});
after(async () => {
  await model?.dispose?.();
  await harness?.close();
});

test('a checkpoint with Adam state: the Weights tab lists counters, buffers and optimizer state apart; the Overview counts parameters only', async () => {
  const summary = summarize(model);
  const stats = await computeModelStats(model, { workers: 0 });
  const others = stats.tensors.filter((t) => t.role);
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: { getOverview: () => summary, getWeightStats: () => stats, getHistograms: (req) => exactHistograms(model, req) },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'bn-adam.pth', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-param-count').waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#mi-param-count').getAttribute('data-value'), String(summary.parameterCount));
    assert.match(await page.locator('#mi-param-other').innerText(), /^not counted: optimizer state 1\.8 K values in 20 tensors \(7\.0 KB\), 12 counters$/);
    assert.equal(await page.locator('#mi-weights-only').innerText(),
      'Weights only: this file stores 47 tensors and no graph (15 of parameters; 20 optimizer state, 12 counters). Weights has their statistics; Graph lists them by name scope.');
    await page.screenshot({ path: join(artifacts, 'overview-checkpoint-roles.png'), fullPage: true });

    await page.locator('[data-tab="weights"]').click();
    await page.locator('#mi-weights-others tbody tr').first().waitFor({ timeout: 10_000 });
    const listed = (id: string) => page.locator(`${id} tbody tr`).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tensor')).sort());
    assert.deepEqual(await listed('#mi-weights-tensors'), stats.tensors.filter((t) => !t.role).map((t) => t.name).sort());
    assert.deepEqual(await listed('#mi-weights-others'), others.map((t) => t.name).sort());
    assert.equal(await page.locator('#mi-weights-others-title').innerText(), 'Not weights: 20 optimizer state, 12 counters, 4 buffers');
    // Nothing in the health section names a tensor that is not a weight.
    const named = await page.locator('#mi-weights-findings tbody tr, #mi-weights-notes-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tensor')));
    assert.deepEqual(named.filter((n) => others.some((t) => t.name === n)), []);
    // A row apart still shows its own histogram and numbers.
    await page.locator('#mi-weights-others tbody tr[data-tensor="model.bn1.running_var"]').click();
    await page.waitForFunction(() => document.querySelector('#mi-weights-chart-title')?.textContent === 'model.bn1.running_var');
    await page.screenshot({ path: join(artifacts, 'weights-checkpoint-roles.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});
