import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { buildGraphPayload, CHUNK_SIZE } from '../../src/engine/graph-payload';
import { buildNodeDetails } from '../../src/engine/graph-details';
import { ModelError } from '../../src/model/errors';
import { OnnxBuilder, writeModel } from '../support/onnx-builder';

const data = '/usr/share/libonnx-testdata/data/node';
const tmp = mkdtempSync(join(tmpdir(), 'mi-graph-payload-'));

test('If: both branches open as their own graphs, listed in the node details', async () => {
  const model = await openModel(`${data}/test_if/model.onnx`);
  const main = buildGraphPayload(model);
  const ifRow = main.nodes.find((n) => main.ops[n.op] === 'If')!;
  assert.equal(ifRow.subgraphs, 2);
  assert.deepEqual(main.nodes.filter((n) => n.kind !== 'op').map((n) => n.id), ['in:cond', 'out:res']);
  const details = buildNodeDetails(model, '', ifRow.id);
  assert.deepEqual(details.subgraphs.map((s) => s.attribute).sort(), ['else_branch', 'then_branch']);
  for (const s of details.subgraphs) {
    const body = buildGraphPayload(model, s.graph);
    assert.equal(body.graph, s.graph);
    assert.equal(body.nodes.filter((n) => n.kind === 'op').length, s.nodeCount);
    assert.equal(body.path.length, 2);
  }
  assert.throws(() => buildGraphPayload(model, `${ifRow.id}:7`), (e: unknown) => e instanceof ModelError && /^model\.onnx: has no subgraph/.test(e.message));
});

test('Loop and Scan bodies: edges follow values, graph outputs become output nodes', async () => {
  for (const name of ['test_loop11', 'test_scan9_sum']) {
    const model = await openModel(`${data}/${name}/model.onnx`);
    const main = buildGraphPayload(model);
    const row = main.nodes.find((n) => n.subgraphs)!;
    const body = buildGraphPayload(model, `${row.id}:0`);
    const graph = model.graph.nodes.find((n) => n.id === row.id)!.subgraphs[0].graph;
    // Every non-empty, non-weight input of every body node is exactly one edge.
    const expected = graph.nodes.reduce((a, n) => a + new Set(n.inputs.filter((i) => i && !graph.values.get(i)?.initializer)).size, 0) + graph.outputs.length;
    assert.equal(body.edges.length, expected, name);
    for (const [from, to, v] of body.edges) {
      assert.ok(body.nodes[from] && body.nodes[to] && body.values[v], name);
      assert.ok(body.nodes[from].io.includes(v) && body.nodes[to].io.includes(v), `${name}: edge value belongs to both ends`);
    }
    assert.equal(body.nodes.filter((n) => n.kind === 'output').length, graph.outputs.length);
  }
});

test('scoped transformer-like model: scope tree, weight badges, repeated-block hints', async () => {
  const b = new OnnxBuilder('tiny').input('x', 'float32', [1, 4]);
  let x = 'x';
  for (let l = 0; l < 3; l++) {
    const p = `/encoder/layer.${l}`;
    b.initializer(`W${l}`, 'float32', [4, 4], new Float32Array(16).fill(l));
    b.initializer(`b${l}`, 'float32', [4], new Float32Array(4));
    b.node('MatMul', [x, `W${l}`], [`${p}/mm`], {}, { name: `${p}/attn/MatMul` });
    b.node('Add', [`${p}/mm`, `b${l}`], [`${p}/add`], {}, { name: `${p}/attn/Add` });
    b.node('Relu', [`${p}/add`], [`${p}/out`], {}, { name: `${p}/ffn/Relu` });
    x = `${p}/out`;
  }
  b.node('Softmax', [x], ['y'], { axis: -1 }, { name: '/head/Softmax' }).output('y', 'float32', [1, 4]);
  const model = await openModel(writeModel(tmp, 'tiny.onnx', b));
  const p = buildGraphPayload(model);
  for (const s of ['encoder', 'encoder/layer.0', 'encoder/layer.0/attn', 'encoder/layer.2/ffn', 'head']) assert.ok(p.scopes.includes(s), s);
  // Parents are interned before children, so the view can build the tree in one pass.
  p.scopes.forEach((s, i) => { if (s.includes('/')) assert.ok(p.scopes.indexOf(s.slice(0, s.lastIndexOf('/'))) < i); });
  // Weights are badges: no node for W0/b0, and the consumer carries count and parameter total.
  assert.ok(!p.nodes.some((n) => n.name === 'W0' || n.id === 'in:W0'));
  const mm = p.nodes.find((n) => n.name === 'MatMul' && p.scopes[n.scope] === 'encoder/layer.1/attn')!;
  assert.equal(mm.weights, 1);
  assert.equal(mm.params, 16);
  assert.ok(mm.io.some((v) => p.values[v].name === 'W1'), 'weights are searchable by tensor name');
  // Same structure, same hint; different structure, different hint.
  const hint = (s: string) => p.scopeHints[p.scopes.indexOf(s)];
  assert.ok(hint('encoder/layer.0') >= 0);
  assert.equal(hint('encoder/layer.0'), hint('encoder/layer.2'));
  assert.equal(hint('encoder/layer.0/attn'), hint('encoder/layer.1/attn'));
  assert.notEqual(hint('encoder/layer.0/attn'), hint('encoder/layer.0'));
  assert.equal(hint('encoder'), -1);
  // Edge labels: value dtype/shape where the model declares them.
  const yEdge = p.edges.find(([, to]) => p.nodes[to].id === 'out:y')!;
  assert.deepEqual(p.values[yEdge[2]], { name: 'y', dtype: 'float32', shape: [1, 4] });
  // Details: readable attributes and the weight with its parameter count.
  const det = buildNodeDetails(model, '', mm.id);
  assert.deepEqual(det.inputs.find((i) => i.name === 'W1')?.weight?.elementCount, 16);
  const soft = buildNodeDetails(model, '', p.nodes.find((n) => n.name === 'Softmax')!.id);
  assert.deepEqual(soft.attributes, [{ name: 'axis', type: 'int', value: '-1' }]);
  assert.throws(() => buildNodeDetails(model, '', 'nope'), /tiny\.onnx: has no node "nope"/);
});

test('a huge flat graph is split into ordered chunks, and captured outer values become outer inputs', async () => {
  const b = new OnnxBuilder('flat').input('x', 'float32', [2]);
  const n = CHUNK_SIZE * 2 + 17;
  for (let i = 0; i < n; i++) b.node('Relu', [i ? `v${i - 1}` : 'x'], [`v${i}`]);
  b.output(`v${n - 1}`, 'float32', [2]);
  const model = await openModel(writeModel(tmp, 'flat.onnx', b));
  const p = buildGraphPayload(model);
  const chunks = p.scopes.filter(Boolean);
  assert.deepEqual(chunks, [`[1–${CHUNK_SIZE}]`, `[${CHUNK_SIZE + 1}–${2 * CHUNK_SIZE}]`, `[${2 * CHUNK_SIZE + 1}–${n}]`]);
  assert.equal(p.nodes.filter((r) => r.kind === 'op' && r.scope === 1).length, CHUNK_SIZE);

  const then = new OnnxBuilder('then').node('Neg', ['outer'], ['t']).output('t', 'float32', [2]);
  const els = new OnnxBuilder('else').node('Identity', ['outer'], ['e']).output('e', 'float32', [2]);
  const m2 = new OnnxBuilder('cf').input('c', 'bool', []).input('outer', 'float32', [2])
    .node('If', ['c'], ['r'], { then_branch: then, else_branch: els }, { name: 'branch' }).output('r', 'float32', [2]);
  const model2 = await openModel(writeModel(tmp, 'cf.onnx', m2));
  const ifId = buildGraphPayload(model2).nodes.find((r) => r.subgraphs)!.id;
  const body = buildGraphPayload(model2, `${ifId}:0`);
  const outer = body.nodes.find((r) => r.kind === 'input')!;
  assert.equal(outer.outer, true);
  assert.equal(outer.name, 'outer');
  assert.equal(body.edges.length, 2);
});
