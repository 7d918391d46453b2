// The Explain tab's method settings, in the real webview bundle behind its CSP: each checked method shows its row, and
// what the user types reaches the engine as ExplainParams.options (the harness plays the host and answers with the
// real explainModel on the shapes example, so the maps drawn are real ones computed with those settings).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/formats/summarize';
import { explainModel, wireResult } from '../../src/explain/explain';
import type { ExplainParams } from '../../src/protocol/explain';
import { startHarness, type Harness } from './webview-harness';

const root = resolve(__dirname, '../..');
const MODEL = join(root, 'examples/shapes/model.onnx');
const INPUT = join(root, 'examples/shapes/cross.npy');
const artifacts = resolve(root, 'test-artifacts');
let harness: Harness;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

test('Explain tab: settings rows follow the checked methods, and the values typed there are what the engine gets', async () => {
  const model = await openModel(MODEL);
  const summary = summarize(model, statSync(MODEL).size);
  const asked: ExplainParams[] = [];
  const v = await harness.open({
    view: 'panel',
    theme: 'dark',
    handlers: {
      getOverview: () => summary,
      explainInputs: () => ({ files: [INPUT] }),
      explain: async (params) => {
        asked.push(params);
        return wireResult(await explainModel(MODEL, { ...params, model }));
      },
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="explain"]').click();
    await page.locator('#mi-explain-run').waitFor({ state: 'visible', timeout: 5000 });
    const visible = (id: string) => page.locator(`#mi-explain-settings-${id}`).isVisible();
    // Defaults: vanilla, gradcam, occlusion checked.
    assert.deepEqual(await Promise.all(['gradcam', 'occlusion', 'fill', 'rise', 'ig', 'smoothgrad'].map(visible)), [true, true, true, false, false, false]);
    await page.locator('#mi-explain-m-vanilla').uncheck();
    await page.locator('#mi-explain-m-gradcam').uncheck();
    await page.locator('#mi-explain-m-rise').check();
    assert.deepEqual(await Promise.all(['gradcam', 'occlusion', 'fill', 'rise'].map(visible)), [false, true, true, true]);
    await page.locator('#mi-explain-source').selectOption(`example:${INPUT}`);
    await page.locator('#mi-explain-opt-occlusion-window').fill('8');
    await page.locator('#mi-explain-opt-occlusion-stride').fill('4');
    await page.locator('#mi-explain-opt-rise-masks').fill('300');
    await page.locator('#mi-explain-opt-rise-keep').fill('0.3');
    await page.locator('#mi-explain-opt-perturb-fill').fill('0.25');
    await page.locator('#mi-explain-run').click();
    await page.locator('figure.mi-explain-map[data-method="rise"] canvas').waitFor({ timeout: 60_000 });
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0].methods, ['occlusion', 'rise']);
    // Only what was typed, as numbers; untouched fields stay out (the engine's defaults apply).
    assert.deepEqual(asked[0].options, { window: 8, stride: 4, masks: 300, keep: 0.3, fill: 0.25 });
    assert.equal(await page.locator('figure.mi-explain-map').count(), 2);
    await page.screenshot({ path: join(artifacts, 'explain-settings.png'), fullPage: true });
    // Grad-CAM: after a run, the layer field offers the layers the engine listed, and the caption names the one used.
    await page.locator('#mi-explain-m-occlusion').uncheck();
    await page.locator('#mi-explain-m-rise').uncheck();
    await page.locator('#mi-explain-m-gradcam').check();
    await page.locator('#mi-explain-run').click();
    const caption = page.locator('figure.mi-explain-map[data-method="gradcam"] figcaption');
    await caption.waitFor({ timeout: 60_000 });
    const offered = await page.locator('#mi-explain-gradcam-layers option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(offered.length >= 2, `layers offered: ${offered.join(', ')}`);
    assert.match(await caption.innerText(), new RegExp(`layer ${offered[offered.length - 1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal(asked.length, 2);
    await page.screenshot({ path: join(artifacts, 'explain-gradcam-layer.png'), fullPage: true });
    // IG with a baseline file that is not filled in: the tab says so instead of sending a request.
    await page.locator('#mi-explain-m-gradcam').uncheck();
    await page.locator('#mi-explain-m-ig').check();
    await page.locator('#mi-explain-opt-ig-baseline').selectOption('file');
    await page.locator('#mi-explain-run').click();
    await page.locator('#mi-explain-error').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await page.locator('#mi-explain-error').innerText(), /ig baseline: choose a file/);
    assert.equal(asked.length, 2);
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
