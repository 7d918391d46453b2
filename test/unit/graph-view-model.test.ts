import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { buildGraphPayload } from '../../src/engine/graph-payload';
import { GraphViewModel } from '../../webview/graph/view-model';
import { LayoutEngine } from '../../webview/graph/layout-core';
import { layoutInput } from '../../webview/graph/scene';
import { makeTransformer } from '../../scripts/bench/make-transformer';

async function transformer(nodes: number): Promise<GraphViewModel> {
  const file = join(mkdtempSync(join(tmpdir(), 'mi-vm-')), 't.onnx');
  writeFileSync(file, makeTransformer(nodes));
  return new GraphViewModel(buildGraphPayload(await openModel(file)));
}

test('a large model opens collapsed to a readable level, with sibling layers alike', async () => {
  const vm = await transformer(1000);
  vm.expandToBudget(80);
  const vis = vm.visible();
  const drawn = vis.groups.reduce((a, g) => a + g.items.length, 0);
  assert.ok(drawn <= 80 + 1, `drawn ${drawn}`);
  const layers = vm.payload.scopes.map((s, i) => [s, i] as const).filter(([s]) => /^encoder\/layer\.\d+$/.test(s));
  assert.ok(layers.length >= 10);
  assert.ok(layers.every(([, i]) => vm.expanded[i] === vm.expanded[layers[0][1]]), 'all layers share one state');
  // Every payload edge ends up drawn: inside a group, as a cross-group edge, or hidden inside one collapsed group.
  for (let e = 0; e < vm.payload.edges.length; e++) {
    const [a, b] = vm.payload.edges[e];
    const ra = vis.rep[a], rb = vis.rep[b];
    if (ra === rb) continue;
    const inGroup = vis.groups.some((g) => g.edges.some(([x, y]) => g.items[x] === ra && g.items[y] === rb));
    const cross = vis.crossEdges.some(([x, y]) => x === ra && y === rb);
    assert.ok(inGroup || cross, `edge ${e} is drawn`);
  }
});

test('expanding one group adds only its children; collapse-all leaves the top level', async () => {
  const vm = await transformer(600);
  vm.collapseAll();
  const before = vm.visible().groups.reduce((a, g) => a + g.items.length, 0);
  const enc = vm.payload.scopes.indexOf('encoder');
  vm.expanded[enc] = 1;
  const after = vm.visible();
  assert.equal(after.groups.reduce((a, g) => a + g.items.length, 0), before + vm.childScopes[enc].length + vm.childNodes[enc].length);
  assert.deepEqual(after.groups.map((g) => g.scope), [enc, 0], 'post-order: children before the root');
  const node = vm.payload.nodes.findIndex((n) => vm.payload.scopes[n.scope] === 'encoder/layer.3/attn/q');
  assert.equal(vm.reveal(node), true);
  assert.equal(vm.visible().rep[node], node);
});

test('layout engine: one dagre run per distinct block, positions inside the group bounds', async () => {
  const vm = await transformer(1500);
  vm.expandAll();
  const vis = vm.visible();
  const engine = new LayoutEngine();
  const out = await engine.run({ gen: 1, rankdir: 'TB', groups: layoutInput(vm, vis) }, () => false, async () => {});
  assert.ok(out && out.length === vis.groups.length);
  for (const l of out) {
    l.xs.forEach((x, i) => {
      assert.ok(x >= 0 && x <= l.width + 1e-6 && l.ys[i] >= 0 && l.ys[i] <= l.height + 1e-6);
    });
  }
  const l20 = out.find((l) => vm.payload.scopes[l.scope] === 'encoder/layer.20')!;
  const l25 = out.find((l) => vm.payload.scopes[l.scope] === 'encoder/layer.25')!;
  // (names of equal length: same box sizes)
  assert.deepEqual([l25.width, l25.height, l25.xs], [l20.width, l20.height, l20.xs], 'identical layers get the identical layout');
  // A second run is all cache hits: every group's layout is the very object the first run computed (no dagre run).
  const again = await engine.run({ gen: 2, rankdir: 'TB', groups: layoutInput(vm, vis) }, () => false, async () => {});
  assert.ok(again && again.length === out.length && again.every((l, i) => l.xs === out[i].xs && l.ys === out[i].ys), 'the second run is served from the cache');
  // A cancelled job returns nothing, whether it was stopped at a yield (every 30 ms) or finished first (the chain fast
  // path can lay out everything within one slice on an idle machine).
  const stopped = await new LayoutEngine().run({ gen: 3, rankdir: 'LR', groups: layoutInput(vm, vis) }, () => true, async () => {});
  assert.equal(stopped, undefined);
});

test('a group whose items form one chain is stacked without dagre: in chain order, centred, a rank gap apart', async () => {
  // Items listed out of chain order (2 → 0 → 1), of different sizes, in both directions.
  const sizes = [100, 40, 60, 30, 80, 50];
  const edges = [2, 0, 0, 1];
  for (const rankdir of ['TB', 'LR'] as const) {
    const [l] = (await new LayoutEngine().run({ gen: 1, rankdir, groups: [{ scope: 0, sizes, edges }] }, () => false, async () => {}))!;
    const along = rankdir === 'TB' ? l.ys : l.xs;
    const across = rankdir === 'TB' ? l.xs : l.ys;
    const len = (i: number) => sizes[2 * i + (rankdir === 'TB' ? 1 : 0)];
    assert.ok(along[2] < along[0] && along[0] < along[1], `${rankdir}: chain order`);
    assert.equal(along[0] - len(0) / 2 - (along[2] + len(2) / 2), 28, `${rankdir}: rank gap`);
    assert.equal(new Set(across).size, 1, `${rankdir}: centred on one line`);
    assert.equal(rankdir === 'TB' ? l.height : l.width, len(0) + len(1) + len(2) + 2 * 28);
    // Edges run from one box's end to the next one's start.
    assert.equal(l.points.length, 2);
    const p = l.points[0];
    assert.equal(rankdir === 'TB' ? p[1] : p[0], along[2] + len(2) / 2);
    assert.equal(rankdir === 'TB' ? p[p.length - 1] : p[p.length - 2], along[0] - len(0) / 2);
  }
  // A branch is not a chain: dagre lays it out (items side by side somewhere).
  const [d] = (await new LayoutEngine().run({ gen: 1, rankdir: 'TB', groups: [{ scope: 0, sizes, edges: [0, 1, 0, 2] }] }, () => false, async () => {}))!;
  assert.equal(d.ys[1], d.ys[2]);
});
