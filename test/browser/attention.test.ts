// The Attention tab in headless Chromium behind the webview CSP, answered by the real engine functions on a 6-layer
// transformer built with torch: the layer × head grid of thumbnails, one head's map with hover weights equal to
// torch's, the sentence on what the head does, sorting, and the logit lens table. Screenshots go to test-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { parseNpy } from '../../src/formats/arrays/npy';
import { attentionHead, attentionMaps } from '../../src/runtime/lm/attention';
import { logitLens } from '../../src/runtime/lm/lens';
import type { AttentionHeadParams } from '../../src/protocol/attention';
import { startHarness, type Harness } from './webview-harness';
import { buildGraphPayload } from '../../src/engine/graph-payload';
import { buildNodeDetails } from '../../src/engine/graph-details';
import { attentionModels, torchUnavailable } from '../support/attention-models';

const root = resolve(__dirname, '../..');
const artifacts = resolve(root, 'test-artifacts');
const skip = torchUnavailable();
let harness: Harness;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
});

after(async () => {
  await harness?.close();
});

async function openTab(file: string, theme: 'light' | 'dark', heads: AttentionHeadParams[]) {
  const model = await openModel(file);
  const v = await harness.open({
    view: 'panel', theme, width: 1400, height: 1100,
    handlers: {
      getOverview: () => summarize(model, statSync(file).size),
      getGraph: (p) => buildGraphPayload(model, p.graph ?? ''),
      getNodeDetails: (p) => buildNodeDetails(model, p.graph ?? '', p.nodeId),
      attentionMaps: (p) => attentionMaps(model, p),
      attentionHead: (p) => {
        heads.push(p);
        return attentionHead(model, p);
      },
      logitLens: (p) => logitLens(model, p),
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
  });
  await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
  await v.page.locator('[data-tab="attention"]').click();
  await v.page.locator('#mi-attn-run').waitFor({ state: 'visible', timeout: 5000 });
  return { v, model };
}

for (const theme of ['light', 'dark'] as const) {
  test(`Attention tab (${theme}): grid, one head's map with torch's weights on hover, its role, sorting, the lens table`, { skip }, async () => {
    const dir = join(attentionModels(), 'l6-causal');
    const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
    const t = ids.length;
    const heads: AttentionHeadParams[] = [];
    const { v, model } = await openTab(join(dir, 'model.onnx'), theme, heads);
    try {
      const { page } = v;
      await page.locator('#mi-attn-prompt').fill(ids.join(' '));
      await page.locator('#mi-attn-target').fill('5');
      await page.locator('#mi-attn-run').click();
      await page.locator('#mi-attn-lens').waitFor({ timeout: 60_000 });
      assert.equal(await page.locator('canvas.mi-attn-thumb').count(), 6 * 4, 'one thumbnail per layer and head');
      // the first layer's best head opens by itself; then a click on layer 3, head 2
      await page.locator('canvas.mi-attn-thumb[data-layer="3"][data-head="2"]').click();
      await page.locator('#mi-attn-role', { hasText: 'Layer 3, head 2' }).waitFor({ timeout: 30_000 });
      assert.deepEqual(heads.at(-1), { prompt: ids.join(' '), layer: 3, head: 2 });
      assert.match(await page.locator('#mi-attn-role').innerText(), /Layer 3, head 2: .+\.\s+entropy [\d.]+ nats · first token [\d.]+/);
      // hover the cell of query 9, key 4: the weight shown is torch's (to the 4 decimals shown)
      const ref = parseNpy('attn_3.npy', readFileSync(join(dir, 'attn_3.npy'))).data as Float32Array;
      const box = (await page.locator('#mi-attn-map').boundingBox())!;
      const geo = await page.locator('#mi-attn-map').evaluate((c: HTMLCanvasElement) => ({ w: c.width, h: c.height }));
      const margin = 72;
      const cell = (geo.w - margin) / t;
      const at = (i: number, j: number) => ({ x: box.x + ((margin + (j + 0.5) * cell) * box.width) / geo.w, y: box.y + ((margin + (i + 0.5) * cell) * box.height) / geo.h });
      for (const [i, j] of [[9, 4], [13, 0], [5, 5]]) {
        const p = at(i, j);
        await page.mouse.move(p.x, p.y);
        const text = await page.locator('#mi-attn-hover').innerText();
        const m = /query (\d+) .* key (\d+) .*: ([\d.]+)$/.exec(text);
        assert.ok(m, text);
        assert.deepEqual([Number(m[1]), Number(m[2])], [i, j]);
        assert.ok(Math.abs(Number(m[3]) - ref[2 * t * t + i * t + j]) <= 6e-5, `${text} vs ${ref[2 * t * t + i * t + j]}`);
      }
      // the lens: one row per block, one column per position plus the target's p / rank
      const rows = await page.locator('#mi-attn-lens tbody tr').count();
      assert.equal(rows, 6);
      assert.equal(await page.locator('#mi-attn-lens tbody tr').first().locator('td').count(), t + 1);
      assert.match(await page.locator('#mi-attn-lens tbody tr').first().locator('td.tgt').innerText(), /^[\d.]+% \/ #\d+$/);
      await page.screenshot({ path: join(artifacts, `attention-${theme}.png`), fullPage: true });
      // sorting by the previous-token score puts each layer's most previous-token head first
      const maps = await attentionMaps(model, { prompt: ids.join(' ') });
      await page.locator('#mi-attn-sort').selectOption('prevToken');
      for (const l of maps.layers) {
        const best = l.heads.reduce((b, h, k) => (h.prevToken > l.heads[b].prevToken ? k : b), 0);
        assert.equal(await page.locator(`canvas.mi-attn-thumb[data-layer="${l.index}"]`).first().getAttribute('data-head'), String(best));
      }
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
      await model.dispose?.();
    }
  });
}

test('Attention tab: fused attention shows the sentence, not an error', { skip }, async () => {
  const { v, model } = await openTab(join(attentionModels(), 'fused', 'model.onnx'), 'dark', []);
  try {
    const { page } = v;
    await page.locator('#mi-attn-prompt').fill('1 2 3');
    await page.locator('#mi-attn-run').click();
    await page.locator('#mi-attn-unavailable').waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await page.locator('#mi-attn-unavailable').innerText(), /fused kernels \(1 com\.microsoft Attention node\)/);
    await page.locator('#mi-attn-cancel').waitFor({ state: 'hidden', timeout: 30_000 });
    assert.equal(await page.locator('#mi-attn-error').isVisible(), false);
    assert.equal(await page.locator('canvas.mi-attn-thumb').count(), 0);
    await page.screenshot({ path: join(artifacts, 'attention-fused.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});

test('from the Graph: a Softmax\'s "Attention maps" button opens its layer in the Attention tab', { skip }, async () => {
  const dir = join(attentionModels(), 'l6-causal');
  const ids: number[] = JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8'));
  const heads: AttentionHeadParams[] = [];
  const { v, model } = await openTab(join(dir, 'model.onnx'), 'light', heads);
  try {
    const { page } = v;
    await page.locator('#mi-attn-prompt').fill(ids.join(' '));
    await page.locator('#mi-attn-run').click();
    await page.locator('#mi-attn-lens').waitFor({ timeout: 60_000 });
    const softmax = model.graph.nodes.filter((n) => n.opType === 'Softmax')[4];
    await page.locator('[data-tab="graph"]').click();
    await page.locator('canvas.view').waitFor({ timeout: 30_000 });
    // page-side expression as a string: tsx would inject helpers into a function that the page does not have
    await page.evaluate(`document.querySelector('.mi-graph').parentElement.miGraph.focusNode(${JSON.stringify(softmax.id)})`);
    await page.locator('.side button.mi-attn-link').click({ timeout: 10_000 });
    await page.locator('#mi-attn-role', { hasText: 'Layer 4, head' }).waitFor({ timeout: 30_000 });
    assert.equal(heads.at(-1)?.layer, 4);
    assert.equal(await page.locator('.mi-attn-layer.current').innerText(), 'layer 4');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
