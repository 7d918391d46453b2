// Folding on torch.onnx-shaped graphs, built by hand so each rule is pinned: Constant and weight-Identity nodes
// become rows on their consumers, Shape→Gather→Unsqueeze→Concat→Reshape plumbing a badge on the Reshape, and the
// view model hides them (and draws a group of one node as that node) until a toggle shows them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { buildGraphPayload } from '../../src/engine/graph-payload';
import { readSmallValues } from '../../src/engine/graph-folding';
import { buildNodeDetails } from '../../src/engine/graph-details';
import type { GraphPayload } from '../../src/protocol/graph';
import { GraphViewModel } from '../../webview/graph/view-model';
import { isDefaultName, nodeBox } from '../../webview/graph/node-box';
import { nodeCount } from '../../webview/graph/renderer';
import { OnnxBuilder, tensor, writeModel } from '../support/onnx-builder';

const tmp = mkdtempSync(join(tmpdir(), 'mi-graph-folding-'));

/** x[b,8] → MatMul(W through an Identity) → Reshape to [b, 2, 4] with the shape computed from x's shape → Transpose. */
function torchLike(): OnnxBuilder {
  return new OnnxBuilder('torch_jit').opset('', 14).input('x', 'float32', ['batch', 8])
    .initializer('proj.weight', 'float32', [8, 8], new Array(64).fill(0.5))
    .node('Identity', ['proj.weight'], ['onnx::MatMul_7'], {}, { name: 'Identity_0' })
    .node('MatMul', ['x', 'onnx::MatMul_7'], ['h'], {}, { name: '/proj/MatMul' })
    .node('Shape', ['h'], ['/Shape_output_0'], {}, { name: '/Shape' })
    .node('Constant', [], ['/Constant_output_0'], { value: tensor('c0', 'int64', [], [0]) }, { name: '/Constant' })
    .node('Gather', ['/Shape_output_0', '/Constant_output_0'], ['/Gather_output_0'], { axis: 0 }, { name: '/Gather' })
    .node('Constant', [], ['/Constant_1_output_0'], { value: tensor('c1', 'int64', [1], [0]) }, { name: '/Constant_1' })
    .node('Unsqueeze', ['/Gather_output_0', '/Constant_1_output_0'], ['/Unsqueeze_output_0'], {}, { name: '/Unsqueeze' })
    .node('Constant', [], ['/Constant_2_output_0'], { value: tensor('c2', 'int64', [2], [2, 4]) }, { name: '/Constant_2' })
    .node('Concat', ['/Unsqueeze_output_0', '/Constant_2_output_0'], ['/Concat_output_0'], { axis: 0 }, { name: '/Concat' })
    .node('Reshape', ['h', '/Concat_output_0'], ['r'], {}, { name: '/heads/Reshape' })
    .node('Transpose', ['r'], ['y'], { perm: [0, 2, 1] }, { name: '/heads/Transpose_1' })
    .output('y', 'float32', ['batch', 4, 2]);
}

async function payload(): Promise<GraphPayload> {
  const model = await openModel(writeModel(tmp, 'torch-like.onnx', torchLike()));
  return buildGraphPayload(model, '', await readSmallValues(model.graph));
}

const byOp = (p: GraphPayload, op: string) => p.nodes.map((n, i) => [n, i] as const).filter(([n]) => p.ops[n.op] === op);

test('Constant and weight-Identity nodes are flagged to fold, and become rows (with small values) on their consumers', async () => {
  const p = await payload();
  for (const [n] of [...byOp(p, 'Constant'), ...byOp(p, 'Identity')]) assert.equal(n.fold, 1, `${n.id} folds`);
  const [[mm]] = byOp(p, 'MatMul');
  // The weight behind the Identity: badge, row and search all find it.
  assert.equal(mm.weights, 1);
  assert.equal(mm.params, 64);
  assert.deepEqual(mm.rows?.map((r) => `${r.name} ${r.text}`), ['weight ⟨8×8⟩']);
  assert.ok(mm.io.some((v) => p.values[v].name === 'proj.weight'));
  const [[concat]] = byOp(p, 'Concat');
  assert.deepEqual(concat.rows?.map((r) => `${r.name} ${r.text}`), ['const = [2, 4]']);
  assert.equal(concat.attrs, 'axis=0');
  assert.equal(byOp(p, 'Transpose')[0][0].attrs, 'perm=0,2,1');
});

test('Shape→Gather→Unsqueeze→Concat plumbing points at the Reshape it feeds, which carries the badge', async () => {
  const p = await payload();
  const [[reshape, ri]] = byOp(p, 'Reshape');
  for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Concat', 'Constant']) for (const [n] of byOp(p, op)) assert.equal(n.plumb, ri, `${op} feeds the Reshape`);
  assert.deepEqual(reshape.shapeFrom, { ops: 4, from: ['h'] });
  for (const op of ['MatMul', 'Reshape', 'Transpose', 'Identity']) assert.equal(byOp(p, op)[0][0].plumb, undefined, `${op} is not plumbing`);
});

test('the view model hides folded nodes and their edges; the toggles and an opened badge bring them back', async () => {
  const p = await payload();
  const ops = (vm: GraphViewModel) => vm.visible().groups.flatMap((g) => g.items).filter((i) => i < vm.n).map((i) => p.ops[p.nodes[i].op]).sort();
  const folded = new GraphViewModel(p);
  folded.expandAll();
  assert.deepEqual(ops(folded), ['Input', 'MatMul', 'Output', 'Reshape', 'Transpose']);
  assert.equal(folded.foldedConstants, 4);
  assert.equal(folded.foldedShapeOps, 4);
  const [[, reshape]] = byOp(p, 'Reshape');
  assert.match(nodeBox(folded, reshape).badge, /^▸ shape from h ×4 ops$/);
  // A folded node is found on the box that shows it.
  assert.equal(folded.drawnFor(byOp(p, 'Identity')[0][1]), byOp(p, 'MatMul')[0][1]);
  assert.equal(folded.drawnFor(byOp(p, 'Shape')[0][1]), reshape);

  const opened = new GraphViewModel(p, { showConstants: false, showShapeOps: false, openShapes: new Set([reshape]) });
  opened.expandAll();
  assert.deepEqual(ops(opened), ['Concat', 'Gather', 'Input', 'MatMul', 'Output', 'Reshape', 'Shape', 'Transpose', 'Unsqueeze']);
  assert.match(nodeBox(opened, reshape).badge, /^▾ /);

  const all = new GraphViewModel(p, { showConstants: true, showShapeOps: true, openShapes: new Set() });
  all.expandAll();
  assert.equal(ops(all).length, p.nodes.length);
  // With constants drawn as boxes, their rows leave the consumers; the weight read directly keeps its row.
  const [[, concat]] = byOp(p, 'Concat');
  assert.deepEqual(nodeBox(all, concat).rows, []);
  // Every payload edge between drawn nodes is drawn.
  const vis = all.visible();
  const drawnEdges = vis.groups.reduce((a, g) => a + g.edgeRef.filter((r) => r >= 0).length, 0) + vis.crossEdges.length;
  assert.equal(drawnEdges, p.edges.length);
});

test('a group that holds one node draws as that node; "1 node", "2 nodes"', async () => {
  const p = await payload();
  const vm = new GraphViewModel(p);
  const proj = p.scopes.indexOf('proj');
  const heads = p.scopes.indexOf('heads');
  assert.ok(proj > 0 && heads > 0);
  // /proj holds only the MatMul once the Identity folds: no group, the MatMul sits at the top level.
  assert.equal(vm.scopeSize[proj], 1);
  assert.equal(vm.nodeScope[byOp(p, 'MatMul')[0][1]], 0);
  assert.ok(!vm.childScopes[0].includes(proj));
  // /heads holds Reshape and Transpose: a group.
  assert.ok(vm.childScopes[0].includes(heads));
  assert.equal(vm.nodeScope[byOp(p, 'Reshape')[0][1]], heads);
  assert.equal(nodeCount(1), '1 node');
  assert.equal(nodeCount(2), '2 nodes');
});

test('a box names its node only when the name is not the operator default', async () => {
  assert.ok(isDefaultName('Shape_1', 'Shape'));
  assert.ok(isDefaultName('/layer/Shape_1', 'Shape'));
  assert.ok(isDefaultName('MatMul', 'MatMul'));
  assert.ok(!isDefaultName('/attn/qkv', 'MatMul'));
  assert.ok(!isDefaultName('ShapeOf', 'Shape'));
  const p = await payload();
  const vm = new GraphViewModel(p);
  assert.equal(nodeBox(vm, byOp(p, 'Transpose')[0][1]).sub, 'perm=0,2,1');
});

test('node details link the weight behind an Identity', async () => {
  const model = await openModel(writeModel(tmp, 'torch-like-details.onnx', torchLike()));
  const mm = model.graph.nodes.find((n) => n.opType === 'MatMul')!;
  const d = buildNodeDetails(model, '', mm.id);
  const w = d.inputs.find((t) => t.weight);
  assert.equal(w?.name, 'onnx::MatMul_7');
  assert.equal(w?.weight?.tensor, 'proj.weight');
  assert.deepEqual(w?.shape, [8, 8]);
});
