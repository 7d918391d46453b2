// The Explain tab in the real webview bundle behind its CSP, the harness playing the host with the real explainModel:
// each checked method shows its settings row and what the user types reaches the engine as ExplainParams.options;
// a non-image input gets its attributions as bars along the input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { explainModel, wireResult } from '../../src/explain/explain';
import type { ExplainParams, ExplainResult } from '../../src/protocol/explain';
import { summarizeExplanation } from '../../src/protocol/explain-summary';
import { startHarness, type Harness } from './webview-harness';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import { encodeNpy } from '../../src/formats/arrays/npy';

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
        return wireResult(await explainModel(model, { ...params }));
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
    const layerLine = page.locator('figure.mi-explain-map[data-method="gradcam"] .mi-explain-layer');
    await layerLine.waitFor({ timeout: 60_000 });
    const offered = await page.locator('#mi-explain-gradcam-layers option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(offered.length >= 2, `layers offered: ${offered.join(', ')}`);
    assert.match(await layerLine.innerText(), new RegExp(`^layer ${offered[offered.length - 1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
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

test('Explain tab: a tabular input gets one bar per element, up for positive attributions and down for negative', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mi-bars-'));
  // y = x · W with 32 inputs (as many as a side-view thumbnail keeps per row); class 0's weights alternate in sign,
  // so gradient × input (x = 1) does too.
  const n = 32;
  const w = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) w[i * 3] = (i % 2 ? -1 : 1) * (1 + i / n);
  const b = new OnnxBuilder().input('x', 'float32', [1, n]).initializer('W', 'float32', [n, 3], w).node('MatMul', ['x', 'W'], ['y']).output('y', 'float32', [1, 3]);
  const path = writeModel(dir, 'tabular.onnx', b);
  const input = join(dir, 'ones.npy');
  writeFileSync(input, encodeNpy({ dtype: 'float32', shape: [1, n], data: new Float32Array(n).fill(1) }));
  const model = await openModel(path);
  let answered: ExplainResult | undefined;
  const v = await harness.open({
    view: 'panel',
    theme: 'light',
    handlers: {
      getOverview: () => summarize(model, statSync(path).size),
      explainInputs: () => ({ files: [] }),
      explain: async (params) => (answered = wireResult(await explainModel(model, { ...params }))),
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'tabular.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="explain"]').click();
    for (const m of ['vanilla', 'gradcam', 'occlusion']) await page.locator(`#mi-explain-m-${m}`).uncheck();
    await page.locator('#mi-explain-m-gradxinput').check();
    await page.locator('#mi-explain-source').selectOption('file');
    await page.locator('#mi-explain-file').fill(input);
    await page.locator('#mi-explain-target').fill('0');
    await page.locator('#mi-explain-run').click();
    const canvas = page.locator('figure.mi-explain-map[data-method="gradxinput"] canvas');
    await canvas.waitFor({ timeout: 60_000 });
    assert.ok(await canvas.evaluate((c) => c.classList.contains('mi-explain-bars')), 'drawn as bars');
    assert.equal(await page.locator('#mi-explain-opacity').isVisible(), false, 'no overlay slider without an image');
    // Sample each element's column a little above and below the middle line: positive elements are painted above,
    // negative ones below, never both.
    // (No named helpers inside: the page function is serialised as written, without the bundler's helpers.)
    const painted = await canvas.evaluate((c, count) => {
      const cv = c as HTMLCanvasElement;
      const g = cv.getContext('2d')!;
      const col = cv.width / count;
      const out: boolean[][] = [];
      for (let i = 0; i < count; i++) {
        const x = Math.floor(i * col + col / 2);
        out.push([g.getImageData(x, cv.height / 2 - 6, 1, 1).data[3] > 0, g.getImageData(x, cv.height / 2 + 6, 1, 1).data[3] > 0]);
      }
      return out;
    }, n);
    painted.forEach(([up, down], i) => assert.deepEqual([up, down], i % 2 ? [false, true] : [true, false], `element ${i}`));
    await canvas.hover({ position: { x: 2, y: 40 } });
    assert.match((await canvas.getAttribute('title')) ?? '', /^element 0: 1\.000/);
    await page.screenshot({ path: join(artifacts, 'explain-bars.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
    // The side view's thumbnail of the same explanation (what the host sends it) is drawn as bars too.
    const side = await harness.open({
      view: 'sidebar', theme: 'light', width: 320, height: 600, handlers: {},
      onReady: (rpc) => rpc.emit('init', { view: 'sidebar', fileName: '', trusted: true }),
    });
    try {
      side.channel.emit('explanation', { items: summarizeExplanation('tabular.onnx', answered!) });
      const thumb = side.page.locator('.mi-side-explanation-item[data-method="gradxinput"] canvas');
      await thumb.waitFor({ timeout: 5000 });
      const [width, firstUp, secondDown] = await thumb.evaluate((c) => {
        const cv = c as HTMLCanvasElement;
        const g = cv.getContext('2d')!;
        const col = cv.width / 32;
        return [cv.width, g.getImageData(Math.floor(col / 2), cv.height / 2 - 6, 1, 1).data[3] > 0, g.getImageData(Math.floor(col * 1.5), cv.height / 2 + 6, 1, 1).data[3] > 0];
      });
      assert.deepEqual([width, firstUp, secondDown], [480, true, true]);
      assert.deepEqual(side.problems, []);
    } finally {
      await side.close();
    }
  } finally {
    await v.close();
    await model.dispose?.();
    rmSync(dir, { recursive: true, force: true });
  }
});
