// The graph tab in headless Chromium behind the webview CSP, with a scripted host that answers from payloads built
// by src/engine/graph-payload.ts from real models. Screenshots go to test-artifacts/graph/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { makeTransformer } from '../../scripts/bench/make-transformer';
import type { GraphPageServer, HostData } from './graph-page';
import { mountGraph, scriptedHostData, startGraphPages, waitFor } from './graph-page';

const artifacts = resolve(__dirname, '../../test-artifacts/graph');
let pages: GraphPageServer;
let data: HostData;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const file = join(mkdtempSync(join(tmpdir(), 'mi-graph-b-')), 'transformer.onnx');
  writeFileSync(file, makeTransformer(600));
  data = await scriptedHostData(await openModel(file));
  pages = await startGraphPages();
});
after(() => pages?.close());

// Page-side helpers as strings (tsx would inject helpers into functions that do not exist in the page).
const G = `document.getElementById('root').miGraph`;
const idx = (id: string) => `${G}.vm.payload.nodes.findIndex((n) => n.id === ${JSON.stringify(id)})`;

test('renders a readable top level through the worker; clicking a node fills the sidebar; weight link navigates', async () => {
  const { page, problems } = await pages.open('light');
  await mountGraph(page, data);
  const info = await page.evaluate(`({ mode: ${G}.timings.layoutMode, boxes: ${G}.scene.count, total: ${G}.vm.n })`) as { mode: string; boxes: number; total: number };
  assert.equal(info.mode, 'worker');
  assert.ok(info.boxes < 100 && info.total > 500, JSON.stringify(info));
  // Reveal a MatMul with a weight, then click its box on the canvas like a user.
  const main = JSON.parse(data.graphs['']) as { nodes: { id: string; name: string; weights?: number; scope: number }[]; ops: string[]; scopes: string[] };
  const mm = main.nodes.find((n) => n.weights && n.name.startsWith('MatMul') && main.scopes[n.scope].endsWith('layer.2/attn/q'))!;
  await page.evaluate(`(async () => { const g = ${G}; g.vm.reveal(${idx(mm.id)}); await g.relayout(); g.view.k = 1; const s = g.scene, b = s.boxOf[${idx(mm.id)}]; g.centerOn(s.x[b] + s.w[b] / 2, s.y[b] + s.h[b] / 2); g.drawNow(); })()`);
  const box = await page.evaluate(`${G}.screenBox(${idx(mm.id)})`) as { x: number; y: number; w: number; h: number };
  const canvas = (await page.locator('canvas.view').boundingBox())!;
  await page.mouse.click(canvas.x + box.x + box.w / 2, canvas.y + box.y + box.h / 2);
  await page.locator('.side h3', { hasText: 'MatMul' }).waitFor({ timeout: 5000 });
  const side = await page.locator('.side').innerText();
  assert.match(side, new RegExp(mm.id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
  assert.match(side, /weights/i);
  assert.match(side, /float32 \[16, 16\] · 256 params/);
  assert.deepEqual(await page.evaluate('window.__log.selected'), [mm.id]);
  await page.locator('.side a[data-weight]').first().click();
  const nav = await page.evaluate('window.__log.navigate') as [string, string][];
  assert.equal(nav[0][0], 'weights');
  assert.match(nav[0][1], /layer\.2\/attn\/q\/W/);
  await page.screenshot({ path: join(artifacts, 'light.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('search finds op types and tensor names, Enter walks the hits and reveals collapsed ones', async () => {
  const { page, problems } = await pages.open('dark');
  await mountGraph(page, data);
  await page.locator('input.search').fill('softmax');
  await page.locator('input.search').press('Enter');
  await waitFor(page, `${G}.hitIndex === 0 && ${G}.selected === ${G}.hits[0]`);
  const layers = (JSON.parse(data.graphs['']) as { scopes: string[] }).scopes.filter((s) => /^encoder\/layer\.\d+$/.test(s)).length;
  const first = await page.evaluate(`({ hits: ${G}.hits.length, ops: ${G}.hits.slice(0, ${layers}).map((i) => ${G}.vm.payload.ops[${G}.vm.payload.nodes[i].op]), sel: ${G}.selected, drawn: ${G}.scene.boxOf[${G}.selected], text: document.querySelector('.mi-graph .count').textContent })`) as { hits: number; ops: string[]; sel: number; drawn: number; text: string };
  // Exact op-type matches first (one Softmax per layer), then nodes whose tensors mention it (the MatMul reading probs).
  assert.deepEqual(first.ops, new Array(layers).fill('Softmax'));
  assert.equal(first.hits, 2 * layers);
  assert.ok(first.drawn >= 0, 'the hit was revealed (its groups expanded) and is drawn');
  await page.locator('input.search').press('Enter');
  await waitFor(page, `${G}.hitIndex === 1 && ${G}.selected === ${G}.hits[1]`);
  const second = await page.evaluate(`({ sel: ${G}.selected, drawn: ${G}.scene.boxOf[${G}.selected], text: document.querySelector('.mi-graph .count').textContent })`) as { sel: number; drawn: number; text: string };
  assert.notEqual(second.sel, first.sel);
  assert.ok(second.drawn >= 0);
  assert.equal(second.text, `2 / ${2 * layers}`);
  // The focused hit is on screen.
  const box = await page.evaluate(`${G}.screenBox(${G}.selected)`) as { x: number; y: number };
  const size = page.viewportSize()!;
  assert.ok(box.x > 0 && box.x < size.width && box.y > 0 && box.y < size.height);
  // Tensor-name search: the position embedding weight is consumed by exactly one node.
  await page.locator('input.search').fill('embeddings/position');
  await page.locator('input.search').press('Enter');
  await waitFor(page, `${G}.hits.length === 1 && ${G}.selected === ${G}.hits[0]`);
  await page.locator('.side a[data-weight="/embeddings/position"]').waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(artifacts, 'dark.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('collapse/expand changes what is drawn; exported SVG parses and holds the visible nodes', async () => {
  const { page, problems } = await pages.open('light');
  await mountGraph(page, data);
  const count = () => page.evaluate(`${G}.scene.count`) as Promise<number>;
  const top = await count();
  await page.evaluate(`${G}.collapseAll()`);
  const collapsed = await count();
  await page.evaluate(`${G}.expandAll()`);
  const all = await count();
  assert.ok(collapsed < top && top < all, `${collapsed} < ${top} < ${all}`);
  // Clicking a collapsed group opens it in place.
  await page.evaluate(`${G}.collapseAll()`);
  const enc = await page.evaluate(`${G}.vm.n + ${G}.vm.payload.scopes.indexOf('encoder')`) as number;
  const box = await page.evaluate(`${G}.screenBox(${enc})`) as { x: number; y: number; w: number; h: number };
  const canvas = (await page.locator('canvas.view').boundingBox())!;
  await page.mouse.click(canvas.x + box.x + box.w / 2, canvas.y + box.y + box.h / 2);
  await waitFor(page, `${G}.scene.count > ${collapsed}`);
  const svg = await page.evaluate(`(() => {
    const text = ${G}.exportSvg();
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const s = ${G}.scene, vm = ${G}.vm;
    const drawnNodes = [];
    for (let i = 0; i < s.count; i++) if (s.kind[i] === 0) drawnNodes.push(vm.payload.nodes[s.item[i]].id);
    return { error: doc.querySelector('parsererror')?.textContent ?? null, ids: [...doc.querySelectorAll('g.node')].map((g) => g.getAttribute('data-id')), drawnNodes,
      groups: doc.querySelectorAll('g.group.collapsed').length };
  })()`) as { error: string | null; ids: string[]; drawnNodes: string[]; groups: number };
  assert.equal(svg.error, null);
  assert.deepEqual(svg.ids.sort(), svg.drawnNodes.sort());
  assert.ok(svg.groups > 0, 'the layers inside the opened encoder are collapsed groups');
  const png = await page.evaluate(`${G}.exportPng().then((b) => b.arrayBuffer()).then((a) => Array.from(new Uint8Array(a.slice(0, 8))))`) as number[];
  assert.deepEqual(png, [137, 80, 78, 71, 13, 10, 26, 10]);
  // An overlay colours nodes and shows its legend.
  await page.evaluate(`window.__tab.setOverlay({ title: 'weight std', scale: 'sequential', values: Object.fromEntries(${G}.vm.payload.nodes.map((n, i) => [n.id, i])) })`);
  assert.match(await page.locator('.legend').innerText(), /weight std/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('control flow: an If body opens as its own view with a breadcrumb back', async () => {
  const model = await openModel('/usr/share/libonnx-testdata/data/node/test_if/model.onnx');
  const { page, problems } = await pages.open('light');
  await mountGraph(page, await scriptedHostData(model));
  const ifIndex = await page.evaluate(`${G}.vm.payload.nodes.findIndex((n) => n.subgraphs)`) as number;
  const box = await page.evaluate(`${G}.screenBox(${ifIndex})`) as { x: number; y: number; w: number; h: number };
  const canvas = (await page.locator('canvas.view').boundingBox())!;
  await page.mouse.dblclick(canvas.x + box.x + box.w / 2, canvas.y + box.y + box.h / 2);
  await waitFor(page, `${G}.vm.payload.graph !== ''`);
  assert.match(await page.locator('.crumbs').innerText(), /test_if › If/);
  await page.locator('.crumbs a').click();
  await waitFor(page, `${G}.vm.payload.graph === ''`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the graph fills the height below the header and follows window resizes; Fit keeps nodes out from under the minimap', async () => {
  const { page, problems } = await pages.open('dark', { width: 1000, height: 900 });
  // Like the panel shell: a header above the tab, and a container whose height is not set (no percentage to resolve).
  await page.evaluate(`(() => { const r = document.getElementById('root'); r.style.height = 'auto'; const hd = document.createElement('div'); hd.style.height = '150px'; r.before(hd); })()`);
  await mountGraph(page, data);
  const heights = () => page.evaluate(`({ graph: document.querySelector('.mi-graph').getBoundingClientRect().height, top: document.querySelector('.mi-graph').getBoundingClientRect().top, stage: ${G}.dom.stage.clientHeight, vh: innerHeight })`) as Promise<{ graph: number; top: number; stage: number; vh: number }>;
  await waitFor(page, `Math.abs(document.querySelector('.mi-graph').getBoundingClientRect().bottom - innerHeight) <= 2`);
  const tall = await heights();
  assert.ok(tall.stage > 600, `canvas stage ${tall.stage} px in a ${tall.vh} px window below a ${tall.top} px header`);
  await page.setViewportSize({ width: 1000, height: 600 });
  await waitFor(page, `Math.abs(document.querySelector('.mi-graph').getBoundingClientRect().bottom - innerHeight) <= 2`);
  const short = await heights();
  assert.ok(short.graph < tall.graph - 250, `shrinks with the window: ${tall.graph} -> ${short.graph}`);
  // Fit: no drawn box overlaps the minimap (both in stage coordinates).
  await page.evaluate(`(() => { ${G}.fit(); ${G}.drawNow(); })()`);
  const r = await page.evaluate(`(() => { const g = ${G}, st = g.dom.stage.getBoundingClientRect(), m = g.dom.minimap.getBoundingClientRect();
    const boxes = []; for (let i = 0; i < g.vm.n; i++) { const b = g.screenBox(i); if (b) boxes.push(b); }
    return { boxes, mini: { x: m.left - st.left, y: m.top - st.top, w: m.width, h: m.height } }; })()`) as { boxes: { x: number; y: number; w: number; h: number }[]; mini: { x: number; y: number; w: number; h: number } };
  assert.ok(r.boxes.length > 3);
  const hidden = r.boxes.filter((b) => b.x < r.mini.x + r.mini.w && b.x + b.w > r.mini.x && b.y < r.mini.y + r.mini.h && b.y + b.h > r.mini.y);
  assert.deepEqual(hidden, [], 'boxes under the minimap after Fit');
  await page.screenshot({ path: join(artifacts, 'fill-height-dark.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('polish: the search placeholder fits its box; a graph shown whole has no minimap over its last nodes; "1 node"', async () => {
  const { page, problems } = await pages.open('light');
  await mountGraph(page, data);
  // The placeholder's text width (in the input's own font) fits the input's content box, at VS Code's default UI
  // font size and at a larger one a user may set (the box was a fixed 220 px and clipped it).
  const fit = await page.evaluate(`(() => {
    document.documentElement.style.setProperty('--vscode-font-size', '14px');
    const i = document.querySelector('.mi-graph input.search'), cs = getComputedStyle(i);
    const c = document.createElement('canvas').getContext('2d');
    c.font = cs.font;
    return { text: c.measureText(i.placeholder).width, box: i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) };
  })()`) as { text: number; box: number };
  assert.ok(fit.text <= fit.box, `placeholder ${fit.text} px in a ${fit.box} px box`);
  // Collapsed to its top level the graph fits the stage: nothing to navigate, so no minimap over its last boxes.
  await page.evaluate(`${G}.collapseAll()`);
  await page.evaluate(`(() => { ${G}.fit(); ${G}.drawNow(); })()`);
  const r = await page.evaluate(`(() => { const g = ${G}, st = g.dom.stage.getBoundingClientRect(), m = g.dom.minimap;
    const boxes = []; for (let i = 0; i < g.vm.n + g.vm.payload.scopes.length; i++) { const b = g.screenBox(i); if (b) boxes.push(b); }
    const mr = m.getBoundingClientRect();
    return { hidden: m.hidden || mr.width === 0, boxes, mini: { x: mr.left - st.left, y: mr.top - st.top, w: mr.width, h: mr.height } }; })()`) as { hidden: boolean; boxes: { x: number; y: number; w: number; h: number }[]; mini: { x: number; y: number; w: number; h: number } };
  const under = r.boxes.filter((b) => !r.hidden && b.x < r.mini.x + r.mini.w && b.x + b.w > r.mini.x && b.y < r.mini.y + r.mini.h && b.y + b.h > r.mini.y);
  assert.deepEqual(under, []);
  assert.ok(r.hidden, 'the whole graph is on screen: the minimap is hidden');
  // Zoomed in, there is something to navigate: the minimap is back.
  await page.evaluate(`(() => { ${G}.zoom(4); ${G}.drawNow(); })()`);
  assert.equal(await page.evaluate(`${G}.dom.minimap.hidden`), false);
  assert.match(await page.locator('.mi-graph .status').innerText(), /^\d+ nodes · \d+ shown$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the Compare overlay draws categories as distinct colours with a legend, unchanged included', async () => {
  const { page, problems } = await pages.open('dark');
  await mountGraph(page, data);
  const p = JSON.parse(data.graphs['']) as { nodes: { id: string; kind: string }[] };
  const ops = p.nodes.filter((n) => n.kind === 'op');
  // As compareOverlay writes it: unchanged 0, changed 0.5, removed 1.
  const values = Object.fromEntries(ops.map((n, i) => [n.id, i % 10 === 0 ? 1 : i % 5 === 0 ? 0.5 : 0]));
  const overlay = { title: 'compare: removed 1, changed 0.5, same 0', scale: 'sequential', values,
    categories: [{ value: 0, label: 'unchanged' }, { value: 0.5, label: 'changed' }, { value: 1, label: 'removed (only in this model)' }] };
  await page.evaluate(`window.__tab.setOverlay(${JSON.stringify(overlay)})`);
  await page.evaluate(`${G}.expandAll()`);
  const legend = await page.locator('.legend').innerText();
  for (const label of ['compare', 'unchanged', 'changed', 'removed (only in this model)']) assert.ok(legend.includes(label), `${label} in ${legend}`);
  assert.equal(await page.locator('.legend .sw').count(), 3);
  const colours = await page.evaluate(`(() => { const g = ${G}, vm = g.vm, sc = g.overlayScale;
    const values = ${JSON.stringify(values)};
    const at = (v) => sc.color(vm.payload.nodes.findIndex((n) => values[n.id] === v));
    return { same: at(0), changed: at(0.5), removed: at(1), background: g.theme.background }; })()`) as Record<string, string>;
  assert.equal(new Set([colours.same, colours.changed, colours.removed]).size, 3, JSON.stringify(colours));
  // "unchanged" is a colour of its own, not (nearly) the background: a luminance contrast of at least 3 against it.
  const lum = (hex: string) => {
    const c = (hex.match(/[0-9a-f]{2}/gi) ?? []).slice(0, 3).map((h) => parseInt(h, 16) / 255).map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const [a, b] = [lum(colours.same), lum(colours.background)].sort((x, y) => y - x);
  assert.ok((a + 0.05) / (b + 0.05) >= 3, `unchanged ${colours.same} on ${colours.background}`);
  // Collapsed, each layer takes its most notable member's colour: the screenshot shows the categories.
  await page.evaluate(`${G}.collapseAll().then(() => { const g = ${G}, vm = g.vm; for (const c of vm.childScopes[0]) vm.expanded[c] = 1; return g.relayout(true); })`);
  await page.screenshot({ path: join(artifacts, 'compare-overlay-dark.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
