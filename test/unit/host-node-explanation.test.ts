import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../src/engine/client';
import { describeOperator } from '../../src/explain/op-docs';
import { ModelHandle } from '../../src/host/model-handle';
import { explainSelection, type NodeSelectedPayload } from '../../src/host/node-explanation';
import { MAX_EXPLAINED_ATTRIBUTES } from '../../src/protocol/node-explanation';
import { OnnxBuilder, attr, writeModel } from '../support/onnx-builder';
import { buildEngine } from '../support/build-engine';

// The side panel's node explanation as the host composes it, against the real engine process: node details,
// our operator sentence (or the fallback), capped attributes, weights and their health from the cached stats pass.

let engine: EngineClient;
let tmp: string;
let path: string;

function model(): OnnxBuilder {
  const body = new OnnxBuilder('then_body').node('Relu', ['x'], ['r'], {}, { name: 'inner_relu' }).output('r', 'float32', [1, 3]);
  const many: Record<string, ReturnType<typeof attr.int>> = {};
  for (let i = 0; i < MAX_EXPLAINED_ATTRIBUTES + 3; i++) many[`a${String(i).padStart(2, '0')}`] = attr.int(i);
  return new OnnxBuilder('explain')
    .input('x', 'float32', [1, 3])
    .input('cond', 'bool', [])
    .initializer('W', 'float32', [2, 3], [0.1, NaN, 0.3, -0.2, 0.5, 0.7])
    .initializer('b', 'float32', [2], [0.5, -0.25])
    .node('Gemm', ['x', 'W', 'b'], ['y'], { transB: 1, alpha: attr.float(1) }, { name: 'fc' })
    .node('Celu', ['y'], ['z'], many, { name: 'odd' })
    .node('If', ['cond'], ['w'], { then_branch: body, else_branch: body }, { name: 'branch' })
    .output('z', 'float32', [1, 2])
    .output('w', 'float32', [1, 3]);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mi-explain-node-'));
  path = writeModel(tmp, 'explain.onnx', model());
  engine = new EngineClient({ enginePath: await buildEngine(), maxOldSpaceMb: 512 });
});

after(() => {
  engine?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

function handle(): ModelHandle {
  return new ModelHandle(path, 'explain.onnx', () => engine, () => undefined);
}

async function nodeId(h: ModelHandle, name: string, graph?: string): Promise<string> {
  const { modelId } = await h.open();
  const g = await engine.call('getGraph', graph ? { modelId, graph } : { modelId });
  const row = g.nodes.find((n) => n.kind === 'op' && n.name === name);
  assert.ok(row, `node ${name} in ${g.nodes.map((n) => n.name)}`);
  return row.id;
}

async function selections(h: ModelHandle, id: string, graph?: string, accept = () => true): Promise<NodeSelectedPayload[]> {
  const out: NodeSelectedPayload[] = [];
  await explainSelection(() => engine, h, id, graph, (p) => (out.push(p), accept()));
  return out;
}

test('a Gemm is explained in our words, with data inputs, weights, parameter count and then weight health', async () => {
  const h = handle();
  const id = await nodeId(h, 'fc');
  const [first, second, third, ...rest] = await selections(h, id);
  assert.deepEqual(first, { nodeId: id }, 'the id goes out at once');
  assert.deepEqual(rest, []);
  const x = second.explanation!;
  assert.equal(x.opType, 'Gemm');
  assert.equal(x.name, 'fc');
  assert.equal(x.description, describeOperator('Gemm'));
  assert.deepEqual(x.attributes.sort(), ['alpha = 1', 'transB = 1']);
  assert.deepEqual(x.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 3] }], 'weights are listed apart from the data inputs');
  assert.deepEqual(x.outputs.map((o) => o.name), ['y']);
  assert.equal(x.parameterCount, 8);
  assert.deepEqual(x.weights.map((w) => [w.name, w.dtype, w.shape, w.count, w.health]), [['W', 'float32', [2, 3], 6, undefined], ['b', 'float32', [2], 2, undefined]]);
  // Third message: the same plus health from the stats pass (W holds a NaN, b is fine).
  const health = Object.fromEntries(third.explanation!.weights.map((w) => [w.name, w.health]));
  assert.equal(health.b, 'ok');
  assert.ok(typeof health.W === 'object' && health.W.severity === 'error' && /NaN/.test(health.W.message), JSON.stringify(health.W));
  await h.close();
});

test('an operator we have not described gets the plain fallback, and long attribute lists are capped', async () => {
  assert.equal(describeOperator('Celu'), undefined, 'pick an op without a sentence for this test');
  const h = handle();
  const out = await selections(h, await nodeId(h, 'odd'));
  assert.equal(out.length, 2, 'no weights: no health pass');
  const x = out[1].explanation!;
  assert.equal(x.description, 'No description written for Celu yet.');
  assert.equal(x.attributes.length, MAX_EXPLAINED_ATTRIBUTES);
  assert.equal(x.attributesOmitted, 3);
  assert.equal(x.attributes[0], 'a00 = 0');
  assert.equal(x.parameterCount, 0);
  await h.close();
});

test('a node inside a subgraph is found through its graph id', async () => {
  const h = handle();
  const graph = `${await nodeId(h, 'branch')}:0`;
  const out = await selections(h, await nodeId(h, 'inner_relu', graph), graph);
  const x = out[1].explanation!;
  assert.equal(x.opType, 'Relu');
  assert.equal(x.graph, graph);
  assert.equal(x.description, describeOperator('Relu'));
  await h.close();
});

test('a newer selection stops the flow; an unknown node is reported with the file name', async () => {
  const h = handle();
  const id = await nodeId(h, 'fc');
  let n = 0;
  const stopped = await selections(h, id, undefined, () => ++n < 2);
  assert.equal(stopped.length, 2, 'no health message after publish said the selection is stale');
  const bad = await selections(h, 'no-such-node');
  assert.equal(bad.length, 2);
  assert.match(bad[1].error ?? '', /^explain\.onnx: .*no-such-node/);
  await h.close();
});
