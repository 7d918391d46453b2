// Text fields show their whole placeholder (Run's providers box, Grad-CAM's layer box), and top-k rows that are class
// indices say where class names come from (labels.txt next to the model) — in the real webview bundle.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { runModel } from '../../src/runtime/run-model';
import { startHarness, type Harness } from './webview-harness';

const root = resolve(__dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');
let harness: Harness;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

/**
 * For a text field: the placeholder's width in the field's own font, the width the field has for text, and its size
 * in characters. The harness's font is not VS Code's: a field sized in characters (`size`, in the font's average
 * character widths) at least as long as its placeholder fits it in any font; the measured widths check this one.
 */
function placeholderFit(page: Page, selector: string): Promise<{ text: number; room: number; placeholder: string; size: number }> {
  return page.locator(selector).evaluate((el) => {
    const input = el as HTMLInputElement;
    const css = getComputedStyle(input);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = `${css.fontStyle} ${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
    const room = input.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
    return { text: ctx.measureText(input.placeholder).width, room, placeholder: input.placeholder, size: input.size };
  });
}

async function openPanel(modelPath: string) {
  const model = await openModel(modelPath);
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: {
      getOverview: () => summarize(model, statSync(modelPath).size),
      run: async (params) => (await runModel(model, { ...params, providers: ['cpu'] })).summary,
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: modelPath.split('/').pop()!, trusted: true }),
  });
  await v.page.locator('#mi-node-count').waitFor({ timeout: 60_000 });
  return { v, model };
}

test('Run tab: the providers box shows its whole placeholder; index-only top-k rows say where names come from', async () => {
  const { v, model } = await openPanel(join(root, 'examples/tiny-cnn.onnx')); // no labels.txt beside it
  try {
    const { page } = v;
    await page.locator('[data-tab="run"]').click();
    const fit = await placeholderFit(page, '#mi-run-providers');
    assert.ok(fit.text <= fit.room, `"${fit.placeholder}" needs ${fit.text.toFixed(0)} px, the box has ${fit.room.toFixed(0)} px`);
    assert.ok(fit.size >= fit.placeholder.length, `"${fit.placeholder}" is ${fit.placeholder.length} characters, the box ${fit.size}`);
    await page.locator('#mi-run-button').click();
    await page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
    const top = page.locator('.mi-run-top').first();
    assert.match(await top.locator('tr').first().innerText(), /^#\d+/);
    assert.match(await top.locator('.mi-run-labels-hint').innerText(), /labels\.txt next to the model, one class name per line/);
    await page.screenshot({ path: join(artifacts, 'run-fields-labels-hint.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});

test('Run tab: named classes (labels.txt beside the model) get no hint', async () => {
  const { v, model } = await openPanel(join(root, 'examples/shapes/model.onnx'));
  try {
    const { page } = v;
    await page.locator('[data-tab="run"]').click();
    await page.locator('#mi-run-button').click();
    await page.locator('#mi-run-results').waitFor({ timeout: 60_000 });
    const top = page.locator('.mi-run-top').first();
    assert.doesNotMatch(await top.locator('tr').first().innerText(), /^#\d+/);
    assert.equal(await top.locator('.mi-run-labels-hint').count(), 0);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});

test('Explain tab: the Grad-CAM layer box shows its whole placeholder', async () => {
  const { v, model } = await openPanel(join(root, 'examples/shapes/model.onnx'));
  try {
    const { page } = v;
    await page.locator('[data-tab="explain"]').click();
    await page.locator('#mi-explain-opt-gradcam-layer').waitFor({ state: 'visible', timeout: 60_000 });
    const fit = await placeholderFit(page, '#mi-explain-opt-gradcam-layer');
    assert.ok(fit.text <= fit.room, `"${fit.placeholder}" needs ${fit.text.toFixed(0)} px, the box has ${fit.room.toFixed(0)} px`);
    assert.ok(fit.size >= fit.placeholder.length, `"${fit.placeholder}" is ${fit.placeholder.length} characters, the box ${fit.size}`);
    await page.screenshot({ path: join(artifacts, 'explain-gradcam-layer-box.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
