// What a newcomer gets from the Explain tab's defaults (issue 14's tour): on a tabular input Grad-CAM is not checked
// (it needs an image, and its error box was the first thing the tab showed for the tiny TF.js MLP), and maps of a
// synthesized input say that they explain made-up values. Cancel is not reported as an error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { explainModel, wireResult } from '../../src/explain/explain';
import { startHarness, type Harness } from './webview-harness';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';

const root = resolve(__dirname, '../..');
let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

async function openExplain(path: string, files: string[]) {
  const model = await openModel(path);
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: {
      getOverview: () => summarize(model, statSync(path).size),
      explainInputs: () => ({ files }),
      explain: async (params) => wireResult(await explainModel(model, { ...params })),
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: path.split('/').pop()!, trusted: true }),
  });
  await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
  await v.page.locator('[data-tab="explain"]').click();
  await v.page.locator('#mi-explain-run').waitFor({ state: 'visible', timeout: 5000 });
  return { v, model };
}

test('a tabular input: Grad-CAM is unchecked and disabled, and the default run shows no error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-explain-defaults-'));
  const b = new OnnxBuilder().input('x', 'float32', ['batch', 4]).initializer('W', 'float32', [4, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1])
    .node('MatMul', ['x', 'W'], ['y']).output('y', 'float32', ['batch', 3]);
  const { v, model } = await openExplain(writeModel(dir, 'tabular.onnx', b), []);
  try {
    const { page } = v;
    const gradcam = page.locator('#mi-explain-m-gradcam');
    assert.equal(await gradcam.isChecked(), false, 'Grad-CAM is not checked for a tabular input');
    assert.equal(await gradcam.isDisabled(), true);
    assert.equal(await page.locator('#mi-explain-settings-gradcam').isVisible(), false, 'no Grad-CAM settings row');
    await page.locator('#mi-explain-run').click();
    await page.locator('figure.mi-explain-map[data-method="occlusion"]').waitFor({ timeout: 60_000 });
    assert.deepEqual(await page.locator('figure.mi-explain-map').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-method'))), ['vanilla', 'occlusion']);
    assert.equal(await page.locator('figure.mi-explain-map .mi-error').count(), 0, 'no method failed');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an image model keeps Grad-CAM; a synthesized input is named as such next to the maps, an example is not', async () => {
  const example = join(root, 'examples/shapes/cross.npy');
  const { v, model } = await openExplain(join(root, 'examples/shapes/model.onnx'), [example]);
  try {
    const { page } = v;
    assert.equal(await page.locator('#mi-explain-m-gradcam').isChecked(), true);
    assert.equal(await page.locator('#mi-explain-m-gradcam').isDisabled(), false);
    const note = page.locator('#mi-explain-synth-note');
    await page.locator('#mi-explain-run').click();
    await page.locator('figure.mi-explain-map canvas').first().waitFor({ timeout: 60_000 });
    assert.equal(await note.isVisible(), true, 'the synthesized input is pointed out');
    assert.match(await note.innerText(), /"image" was synthesized \(normal\(seed 0\)\): these maps explain made-up values/);
    await page.locator('#mi-explain-source').selectOption(`example:${example}`);
    await page.locator('#mi-explain-run').click();
    // The run is over when its button is enabled again (the job disables it while it runs).
    await page.locator('#mi-explain-cancel').waitFor({ state: 'hidden', timeout: 60_000 });
    assert.equal(await note.isVisible(), false, 'no note for a real example');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});

test('Cancel ends a run quietly: a status line, no error box', async () => {
  const path = join(root, 'examples/shapes/model.onnx');
  const model = await openModel(path);
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: {
      getOverview: () => summarize(model, statSync(path).size),
      explainInputs: () => ({ files: [] }),
      explain: () => new Promise<never>(() => undefined), // a run that takes longer than the user waits
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="explain"]').click();
    await page.locator('#mi-explain-run').click();
    await page.locator('#mi-explain-cancel').click();
    await page.locator('#mi-explain-cancel').waitFor({ state: 'hidden', timeout: 5000 });
    assert.equal(await page.locator('#mi-explain-error').isVisible(), false, 'no error box for a cancel');
    assert.equal((await page.locator('#mi-explain-status').innerText()).trim(), 'Cancelled.');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
