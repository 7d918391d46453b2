// The Graph tab on real torch.onnx.export output (Debian's python3-torch; test/support/torch-export.py builds a
// BERT-style, a ResNet-like and a ViT-like module and caches the files under test-artifacts/torch/): constants and
// weight Identities fold into rows, shape plumbing into badges, every drawn edge has a shape (from one real sample
// run through the runtime), and the toggles bring everything back. Screenshots go to test-artifacts/graph/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openModel } from '../../src/formats/registry';
import type { GraphPageServer, HostData } from './graph-page';
import { mountGraph, scriptedHostData, startGraphPages, waitFor } from './graph-page';

const root = resolve(__dirname, '../..');
const artifacts = join(root, 'test-artifacts/graph');
const torchDir = join(root, 'test-artifacts/torch');
// torchvision's own ResNet-50 and ViT-B/16 (random weights, Debian's python3-torchvision) take minutes to export and
// run: only with MI_GRAPH_TORCHVISION=1. The small modules are built the same way and run every time.
const MODELS = ['bert', 'resnet', 'vit', ...(process.env.MI_GRAPH_TORCHVISION ? ['resnet50', 'vit_b_16'] : [])] as const;
type ModelName = 'bert' | 'resnet' | 'vit' | 'resnet50' | 'vit_b_16';
let pages: GraphPageServer;
const data: Partial<Record<ModelName, HostData>> = {};

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const missing = MODELS.filter((m) => !existsSync(join(torchDir, `${m}.onnx`)));
  // Debian's torch lives in /usr/bin/python3's dist-packages, not in a pyenv python that may come first on PATH.
  if (missing.length) execFileSync('/usr/bin/python3', [join(root, 'test/support/torch-export.py'), torchDir, ...missing], { stdio: 'pipe', timeout: 300_000 });
  for (const m of MODELS) data[m as ModelName] = await scriptedHostData(await openModel(join(torchDir, `${m}.onnx`)), true, { shapes: true });
  pages = await startGraphPages();
});
after(() => pages?.close());

const G = `document.getElementById('root').miGraph`;

interface Drawn {
  /** Op types of the op nodes drawn as boxes. */
  drawnOps: string[];
  /** Op types of the op nodes that are not drawn. */
  hiddenOps: string[];
  /** Drawn Identity nodes whose input is a weight (the payload marks them fold). */
  foldedDrawn: number;
  /** Edges between two drawn boxes without a shape label. */
  unlabelled: string[];
  edges: number;
  opCount: number;
  boxes: number;
}

/** Expands everything and reports what is drawn (page-side, from the scene the canvas draws). */
async function expandAllAndCount(page: Page): Promise<Drawn> {
  await page.evaluate(`${G}.shapesReady.then(() => ${G}.expandAll())`);
  return page.evaluate(`(() => {
    const g = ${G}, vm = g.vm, s = g.scene, p = vm.payload;
    const drawnOps = [], hiddenOps = [], unlabelled = [];
    let foldedDrawn = 0;
    p.nodes.forEach((n, i) => {
      if (n.kind !== 'op') return;
      const b = s.boxOf[i];
      (b >= 0 ? drawnOps : hiddenOps).push(p.ops[n.op]);
      if (b >= 0 && n.fold) foldedDrawn++;
    });
    for (const e of s.edges) {
      if (s.boxOf[e.from] < 0 || s.boxOf[e.to] < 0) continue;
      const text = g.edgeText(e.edge);
      if (!text) unlabelled.push(p.values[p.edges[e.edge][2]].name);
    }
    return { drawnOps, hiddenOps, foldedDrawn, unlabelled, edges: s.edges.length, opCount: vm.opCount, boxes: s.count };
  })()`) as Promise<Drawn>;
}

const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
const KEY_OPS = ['Conv', 'Gemm', 'MatMul', 'Softmax', 'LayerNormalization', 'ReduceMean', 'Sqrt', 'Div', 'Erf'];

for (const m of MODELS) {
  test(`${m}: by default no Constant or weight-Identity box, every key op drawn, every drawn edge has a shape`, async () => {
    const { page, problems } = await pages.open('light');
    await mountGraph(page, data[m as ModelName]!);
    const d = await expandAllAndCount(page);
    const total = JSON.parse(data[m as ModelName]!.graphs['']) as { nodes: { kind: string; op: number; fold?: 1; plumb?: number }[]; ops: string[] };
    const ops = total.nodes.filter((n) => n.kind === 'op');
    const allOps = ops.map((n) => total.ops[n.op]);
    // Shape arithmetic may divide (head size = width / heads) but never convolves, multiplies matrices or normalises.
    const dataOps = ops.filter((n) => n.plumb === undefined).map((n) => total.ops[n.op]);
    assert.equal(count(d.drawnOps, 'Constant'), 0, 'Constant boxes drawn');
    assert.equal(d.foldedDrawn, 0, 'weight Identity boxes drawn');
    if (!m.startsWith('resnet')) assert.ok(count(allOps, 'Constant') > 0, 'the export has Constant nodes to fold');
    for (const op of ['Conv', 'Gemm', 'MatMul', 'Softmax', 'LayerNormalization', 'ReduceMean', 'Sqrt', 'Erf']) assert.equal(count(d.drawnOps, op), count(allOps, op), `every ${op} is drawn`);
    for (const op of KEY_OPS) assert.equal(count(d.drawnOps, op), count(dataOps, op), `every ${op} on data is drawn`);
    assert.ok(count(allOps, m.startsWith('resnet') ? 'Conv' : 'MatMul') > 0);
    assert.deepEqual(d.unlabelled, [], 'edges between drawn boxes without a shape');
    assert.ok(d.edges > 20);
    assert.match(await page.locator('.legend').innerText(), m === 'bert' ? /shapes from a run with batch=1, seq=16/ : /shapes from a run with batch=1/);
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('bert: a shape badge opens its plumbing in place and closes it again; folded rows show small values', async () => {
  const { page, problems } = await pages.open('light');
  await mountGraph(page, data.bert!);
  await page.evaluate(`${G}.shapesReady.then(() => ${G}.expandAll())`);
  // The first Reshape in the first attention block, fed by Shape -> Gather -> Unsqueeze -> Concat.
  const target = await page.evaluate(`${G}.vm.payload.nodes.findIndex((n) => n.shapeFrom && ${G}.vm.payload.ops[n.op] === 'Reshape')`) as number;
  assert.ok(target >= 0);
  // (Constants among them stay rows: the Constants toggle is off.)
  const plumbing = await page.evaluate(`${G}.vm.payload.nodes.map((n, i) => n.plumb === ${target} && !n.fold ? i : -1).filter((i) => i >= 0)`) as number[];
  assert.ok(plumbing.length >= 3, `plumbing ${plumbing.length}`);
  const drawn = () => page.evaluate(`${JSON.stringify(plumbing)}.filter((i) => ${G}.scene.boxOf[i] >= 0).length`) as Promise<number>;
  assert.equal(await drawn(), 0);
  const badge = await page.evaluate(`(() => { const g = ${G}; const s = g.scene, b = s.boxOf[${target}]; g.view.k = 1.2; g.centerOn(s.x[b] + s.w[b] / 2, s.y[b] + s.h[b] / 2); g.drawNow(); const r = g.screenBox(${target}); return { ...r, text: g.boxText(${target}) }; })()`) as { x: number; y: number; w: number; h: number; text: { badge: string; rows: string[] } };
  assert.match(badge.text.badge, /^▸ shape from .+ ×\d+ ops$/);
  const canvas = (await page.locator('canvas.view').boundingBox())!;
  // Click the badge (the box's bottom strip) like a user.
  await page.mouse.click(canvas.x + badge.x + badge.w / 2, canvas.y + badge.y + badge.h - 8);
  await waitFor(page, `${JSON.stringify(plumbing)}.every((i) => ${G}.scene.boxOf[i] >= 0)`);
  assert.match(await page.evaluate(`${G}.boxText(${target}).badge`) as string, /^▾ /);
  await page.screenshot({ path: join(artifacts, 'torch-bert-badge-open-light.png') });
  // The opened plumbing pushed the Reshape down: bring it back on screen, then click its badge again.
  const again = await page.evaluate(`(() => { const g = ${G}, s = g.scene, b = s.boxOf[${target}]; g.centerOn(s.x[b] + s.w[b] / 2, s.y[b] + s.h[b] / 2); g.drawNow(); return g.screenBox(${target}); })()`) as { x: number; y: number; w: number; h: number };
  await page.mouse.click(canvas.x + again.x + again.w / 2, canvas.y + again.y + again.h - 8);
  await waitFor(page, `${JSON.stringify(plumbing)}.every((i) => ${G}.scene.boxOf[i] < 0)`);
  // A folded Constant's small value is on its consumer's box, named by its input port: LayerNorm's Pow by 2.
  const rows = await page.evaluate(`${G}.vm.payload.nodes.flatMap((n, i) => ${G}.vm.payload.ops[n.op] === 'Pow' ? ${G}.boxText(i).rows : [])`) as string[];
  assert.ok(rows.includes('Y = 2'), JSON.stringify(rows));
  assert.deepEqual(problems, []);
  await page.close();
});

test('bert: the Constants and Shape ops toggles draw every node again, and back', async () => {
  const { page, problems } = await pages.open('dark');
  await mountGraph(page, data.bert!);
  const folded = await expandAllAndCount(page);
  assert.ok(folded.hiddenOps.length > 0);
  await page.locator('.mi-graph .bar button', { hasText: 'Constants' }).click();
  await waitFor(page, `${G}.fold.showConstants && ${G}.scene.count > ${folded.boxes}`);
  const withConstants = await expandAllAndCount(page);
  assert.ok(count(withConstants.drawnOps, 'Constant') > 0, 'Constant boxes are back');
  assert.ok(withConstants.foldedDrawn > 0, 'Identity boxes are back');
  assert.equal(count(withConstants.drawnOps, 'Shape'), 0, 'shape plumbing still folded');
  assert.equal(await page.locator('.mi-graph .bar button', { hasText: 'Constants' }).getAttribute('aria-pressed'), 'true');
  await page.locator('.mi-graph .bar button', { hasText: 'Shape ops' }).click();
  await waitFor(page, `${G}.fold.showShapeOps && ${G}.vm.foldedShapeOps === 0`);
  const everything = await expandAllAndCount(page);
  assert.deepEqual(everything.hiddenOps, [], 'every node drawn');
  assert.deepEqual(everything.unlabelled, [], 'every edge labelled with everything shown too');
  await page.locator('.mi-graph .bar button', { hasText: 'Constants' }).click();
  await page.locator('.mi-graph .bar button', { hasText: 'Shape ops' }).click();
  await waitFor(page, `!${G}.fold.showShapeOps && !${G}.fold.showConstants && ${G}.vm.foldedShapeOps > 0`);
  const back = await expandAllAndCount(page);
  assert.equal(back.boxes, folded.boxes);
  assert.deepEqual(problems, []);
  await page.close();
});

for (const theme of ['light', 'dark'] as const) {
  test(`screenshots of the three exports, ${theme} theme`, async () => {
    for (const m of MODELS) {
      const { page, problems } = await pages.open(theme, { width: 1400, height: 900 });
      await mountGraph(page, data[m as ModelName]!);
      // Open the first repeated block (an encoder layer, a ResNet stage) as a reader would.
      await page.evaluate(`${G}.shapesReady.then(async () => {
        const g = ${G}, vm = g.vm, p = vm.payload;
        const s = p.scopes.findIndex((x, i) => i > 0 && vm.scopeSize[i] > 4 && /(layer|encoder)[._]?0|layer1$/.test(x) && vm.childScopes[vm.scopeParent[i]].includes(i));
        if (s > 0) { for (let k = s; k > 0; k = vm.scopeParent[k]) vm.expanded[k] = 1; for (const c of vm.childScopes[s]) vm.expanded[c] = 1; }
        await g.relayout('readable');
      })`);
      await page.evaluate(`(() => { const g = ${G}; g.view.k = Math.max(g.view.k, 0.9); g.drawNow(); })()`);
      await page.screenshot({ path: join(artifacts, `torch-${m}-${theme}.png`) });
      assert.deepEqual(problems, []);
      await page.close();
    }
  });
}
