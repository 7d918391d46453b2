// Where the Graph tab starts on a graph too big to show legibly: at the graph's input, not at the middle of the
// layout. torch.onnx's ResNet-50 and ViT-B/16 had a top level that was a wide row of weight Identity nodes over the
// collapsed blocks (those now fold into rows); the middle of that row was all the newcomer tour saw. A wide row of
// parallel branches is the same case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';
import type { GraphPageServer } from './graph-page';
import { mountGraph, scriptedHostData, startGraphPages } from './graph-page';

let pages: GraphPageServer;
before(async () => {
  pages = await startGraphPages();
});
after(() => pages?.close());

/** x → 40 parallel one-node branches (scopes /branch<i>/, drawn as their node) → Sum → Relu. */
function torchLike(): OnnxBuilder {
  const b = new OnnxBuilder('torch_jit').opset('', 14).input('x', 'float32', [1, 8]);
  const outs: string[] = [];
  for (let i = 0; i < 40; i++) {
    b.initializer(`w${i}`, 'float32', [8], new Array(8).fill(1));
    b.node('Mul', ['x', `w${i}`], [`m${i}`], {}, { name: `/branch${i}/Mul` });
    outs.push(`m${i}`);
  }
  b.node('Sum', outs, ['s'], {}, { name: '/Sum' });
  return b.node('Relu', ['s'], ['y'], {}, { name: '/Relu' }).output('y', 'float32', [1, 8]);
}

test('a graph too wide to read whole opens with its input on screen', async () => {
  const file = writeModel(mkdtempSync(join(tmpdir(), 'mi-graph-start-')), 'wide.onnx', torchLike());
  const data = await scriptedHostData(await openModel(file));
  const { page, problems } = await pages.open('dark');
  await mountGraph(page, data);
  const G = `document.getElementById('root').miGraph`;
  const r = await page.evaluate(`(() => {
    const g = ${G}, s = g.scene;
    const i = g.vm.payload.nodes.findIndex((n) => n.kind === 'input');
    const stage = document.querySelector('canvas.view').getBoundingClientRect();
    return { box: g.screenBox(i), wide: s.width * g.view.k, W: stage.width, H: stage.height };
  })()`) as { box?: { x: number; y: number; w: number; h: number }; wide: number; W: number; H: number };
  assert.ok(r.wide > r.W, `the test graph must be wider than the stage at a readable zoom: ${r.wide} vs ${r.W}`);
  assert.ok(r.box, 'the input is drawn');
  const b = r.box!;
  assert.ok(b.x >= 0 && b.x + b.w <= r.W && b.y >= 0 && b.y + b.h <= r.H, `the input's box ${JSON.stringify(b)} is off the ${r.W}×${r.H} stage`);
  assert.deepEqual(problems, []);
  await page.close();
});
