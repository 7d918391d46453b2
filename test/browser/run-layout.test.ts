// The Run tab's result in the real webview bundle: its sections (provider facts, skipped providers, inputs used,
// outputs, top-k) are spaced apart like the Overview's, not flush on each other (newcomer tour, issue 14).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { runModel } from '../../src/runtime/run-model';
import { startHarness, type Harness } from './webview-harness';

const MODEL = join(resolve(__dirname, '../..'), 'examples/tiny-cnn.onnx');
let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

test('Run tab: at least 12 px between the result sections', async () => {
  const model = await openModel(MODEL);
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: {
      getOverview: () => summarize(model, statSync(MODEL).size),
      run: async (params) => (await runModel(model, { ...params, providers: ['webgpu', 'cpu'] })).summary,
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'tiny-cnn.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="run"]').click();
    await page.locator('#mi-run-button').click();
    await page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
    const gaps = await page.locator('#mi-run-results').evaluate((el) => {
      const kids = [...el.children].filter((c) => (c as HTMLElement).offsetHeight > 0);
      return kids.slice(1).map((c, i) => [c.querySelector('h2')?.textContent ?? c.tagName, c.getBoundingClientRect().top - kids[i].getBoundingClientRect().bottom] as const);
    });
    assert.ok(gaps.length >= 3, JSON.stringify(gaps));
    for (const [what, gap] of gaps) assert.ok(gap >= 12, `"${what}" starts ${gap.toFixed(1)} px below the section above it`);
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
