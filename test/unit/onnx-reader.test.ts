import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxReader } from '../../src/formats/onnx/reader';
import { ModelError } from '../../src/model/errors';
import type { Graph, Model, Node } from '../../src/model/graph';
import type { Tensor } from '../../src/model/tensor';
import { allGraphs, findNode } from '../../src/model/walk';
import { writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { attr, encodeLE, OnnxBuilder, tensor, writeModel } from '../support/onnx-builder';

const dir = mkdtempSync(join(tmpdir(), 'onnx-reader-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
async function open(b: OnnxBuilder): Promise<Model> {
  return onnxReader.open(writeModel(dir, `m${seq++}.onnx`, b));
}

function attrOf(n: Node, name: string) {
  const a = n.attributes.find((x) => x.name === name);
  assert.ok(a, `attribute ${name} on ${n.id}`);
  return a.value;
}

async function bytesOf(t: Tensor): Promise<Uint8Array> {
  assert.ok(t.data, `tensor ${t.name} has data (problem: ${t.problem})`);
  return t.data.read(0, t.data.byteLength);
}

test('model header: producer, ir_version, opsets, metadata', async () => {
  const b = new OnnxBuilder().opset('', 13).opset('com.microsoft', 1).metadata('author', 'me').metadata('license', 'MIT')
    .input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('y', 'float32', [1]);
  b.producer = { name: 'pytorch', version: '2.3' };
  b.irVersion = 7;
  const m = await open(b);
  assert.equal(m.format, 'onnx');
  assert.deepEqual(m.producer, { name: 'pytorch', version: '2.3' });
  assert.equal(m.irVersion, 7);
  assert.deepEqual(m.opsets, [{ domain: '', version: 13 }, { domain: 'com.microsoft', version: 1 }]);
  assert.deepEqual(m.metadata, { author: 'me', license: 'MIT' });
  assert.deepEqual(m.warnings, []);
});

test('inputs/outputs with symbolic, unknown and static dims; initializers are not user inputs', async () => {
  const b = new OnnxBuilder()
    .input('x', 'float32', ['batch', null, 3])
    .input('W', 'float32', [3, 2])
    .input('r', 'int64') // rank unknown
    .initializer('W', 'float32', [3, 2], [1, 2, 3, 4, 5, 6])
    .valueInfo('h', 'float32', ['batch', null, 2])
    .node('MatMul', ['x', 'W'], ['h'], {}, { name: '/encoder/layer.3/attn/MatMul' })
    .node('Relu', ['h'], ['y'], {}, { name: 'Relu_7' })
    .output('y', 'float32', ['batch', null, 2]);
  const m = await open(b);
  const g = m.graph;
  assert.deepEqual(g.inputs, ['x', 'r']);
  assert.deepEqual(g.outputs, ['y']);
  assert.deepEqual(g.values.get('x')?.shape, ['batch', null, 3]);
  assert.equal(g.values.get('r')?.shape, undefined);
  assert.equal(g.values.get('r')?.dtype, 'int64');
  assert.deepEqual(g.values.get('h')?.shape, ['batch', null, 2]);
  assert.equal(g.values.get('h')?.producer, 'n0');
  assert.deepEqual(g.values.get('h')?.consumers, ['n1']);
  assert.equal(g.values.get('W')?.initializer?.name, 'W');
  assert.deepEqual(g.nodes.map((n) => [n.id, n.scope]), [['n0', 'encoder/layer.3/attn'], ['n1', '']]);
});

test('raw_data initializers read lazily as views of the file buffer, exact bytes', async () => {
  const vals = [1.5, -2, 3.25, 1e-8, 0, 42];
  const m = await open(new OnnxBuilder().initializer('W', 'float32', [2, 3], vals).input('x', 'float32', [3])
    .node('MatMul', ['W', 'x'], ['y']).output('y'));
  const t = m.graph.initializers[0];
  assert.equal(t.location, 'inline');
  assert.equal(t.origin, 'raw_data');
  assert.equal(t.elementCount, 6);
  assert.equal(t.data?.byteLength, 24);
  assert.deepEqual(await bytesOf(t), encodeLE('float32', vals));
  const part = await t.data!.read(4, 8);
  assert.deepEqual([...new Float32Array(part.slice().buffer)], [-2, 3.25]);
  // A view, not a copy: two reads share the same underlying buffer (the file bytes).
  const again = await t.data!.read(4, 8);
  assert.equal(part.buffer, again.buffer);
  await assert.rejects(t.data!.read(20, 8), ModelError);
});

test('typed fields: float16 in int32_data decodes to numbers and exposes 16-bit little-endian bytes', async () => {
  const vals = [1, -2.5, 0.333251953125, 65504];
  const m = await open(new OnnxBuilder().initializer('h', 'float16', [4], vals, { storage: 'typed' }).input('x', 'float16', [4])
    .node('Add', ['x', 'h'], ['y']).output('y', 'float16', [4]));
  const t = m.graph.initializers[0];
  assert.equal(t.dtype, 'float16');
  assert.equal(t.origin, 'int32_data');
  assert.deepEqual([...(t.values as Float32Array)], vals);
  assert.equal(t.data?.byteLength, 8);
  assert.deepEqual(await bytesOf(t), encodeLE('float16', vals));
});

test('typed fields: bfloat16 and float8 bit patterns decode to numbers, bytes keep the patterns', async () => {
  // Written by hand: the builder (like onnx-proto 1.10) has no codes for float8 types (17 = e4m3fn, 19 = e5m2).
  const init = (name: string, dataType: number, int32Data: number[]): onnx.ITensorProto => ({ name, dataType, dims: [int32Data.length], int32Data });
  const bytes = onnx.ModelProto.encode({
    irVersion: 9, opsetImport: [{ domain: '', version: 19 }],
    graph: {
      name: 'g', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      initializer: [
        init('bf', 16, [0x3f80, 0xc020, 0x7f80]),
        init('e4', 17, [0x38, 0xc0, 0x01, 0x7f, 0x7e]),
        init('e5', 19, [0x3c, 0xc2, 0x7c, 0x01]),
      ],
    },
  }).finish();
  const p = join(dir, 'small-floats.onnx');
  writeFileSync(p, bytes);
  const m = await onnxReader.open(p);
  const [bf, e4, e5] = m.graph.initializers;
  assert.deepEqual([bf.dtype, e4.dtype, e5.dtype], ['bfloat16', 'float8e4m3fn', 'float8e5m2']);
  assert.deepEqual([...(bf.values as Float32Array)], [1, -2.5, Infinity]);
  assert.deepEqual([...(e4.values as Float32Array)], [1, -2, 2 ** -9, NaN, 448]);
  assert.deepEqual([...(e5.values as Float32Array)], [1, -3, Infinity, 2 ** -16]);
  assert.deepEqual(await bytesOf(bf), new Uint8Array([0x80, 0x3f, 0x20, 0xc0, 0x80, 0x7f]));
  assert.deepEqual(await bytesOf(e4), new Uint8Array([0x38, 0xc0, 0x01, 0x7f, 0x7e]));
});

test('typed fields: float, int64 beyond 2^53 and strings', async () => {
  const big = [2n ** 62n + 1n, -(2n ** 60n) - 3n, 7n];
  const m = await open(new OnnxBuilder()
    .initializer('f', 'float32', [3], [0.5, -1, 2], { storage: 'typed' })
    .initializer('i', 'int64', [3], big, { storage: 'typed' })
    .initializer('s', 'string', [2], ['héllo', 'w'], { storage: 'typed' })
    .input('x', 'float32', [3]).node('Add', ['x', 'f'], ['y']).output('y'));
  const [f, i, s] = m.graph.initializers;
  assert.deepEqual([...(f.values as Float32Array)], [0.5, -1, 2]);
  assert.deepEqual(await bytesOf(f), encodeLE('float32', [0.5, -1, 2]));
  assert.deepEqual([...(i.values as BigInt64Array)], big);
  assert.deepEqual(await bytesOf(i), encodeLE('int64', big));
  assert.deepEqual(s.values, ['héllo', 'w']);
  assert.equal(s.problem, undefined);
});

test('int64 attributes: exact numbers when safe, decimal strings beyond 2^53', async () => {
  const m = await open(new OnnxBuilder().input('x', 'float32', [4])
    .node('Custom', ['x'], ['y'], {
      small: 5, neg: -7, big: attr.int(2n ** 60n + 1n), bigNeg: attr.int(-(2n ** 63n)),
      many: attr.ints([1, 2n ** 55n + 3n, -1]), alpha: attr.float(0.1), names: ['a', 'b'], mode: 'constant',
    }, { domain: 'custom.ops' })
    .output('y'));
  const n = m.graph.nodes[0];
  assert.equal(n.domain, 'custom.ops');
  assert.deepEqual(attrOf(n, 'small'), { type: 'int', value: 5 });
  assert.deepEqual(attrOf(n, 'neg'), { type: 'int', value: -7 });
  assert.deepEqual(attrOf(n, 'big'), { type: 'int', value: '1152921504606846977' });
  assert.deepEqual(attrOf(n, 'bigNeg'), { type: 'int', value: '-9223372036854775808' });
  assert.deepEqual(attrOf(n, 'many'), { type: 'ints', value: [1, '36028797018963971', -1] });
  assert.deepEqual(attrOf(n, 'alpha'), { type: 'float', value: 0.1 });
  assert.deepEqual(attrOf(n, 'names'), { type: 'strings', value: ['a', 'b'] });
  assert.deepEqual(attrOf(n, 'mode'), { type: 'string', value: 'constant' });
});

test('Constant node: value tensor becomes a constant-node Tensor named after the output', async () => {
  const m = await open(new OnnxBuilder().input('x', 'int64', [2])
    .node('Constant', [], ['c'], { value: tensor('', 'int64', [2], [3n, -4n]) })
    .node('Add', ['x', 'c'], ['y']).output('y', 'int64', [2]));
  const v = attrOf(m.graph.nodes[0], 'value');
  assert.equal(v.type, 'tensor');
  const t = (v as { value: Tensor }).value;
  assert.equal(t.location, 'constant-node');
  assert.equal(t.name, 'c');
  assert.deepEqual(t.shape, [2]);
  assert.deepEqual(await bytesOf(t), encodeLE('int64', [3n, -4n]));
  assert.equal(m.graph.values.get('c')?.producer, 'n0');
});

test('sparse initializer: dense shape and count, densified on read', async () => {
  const m = await open(new OnnxBuilder().sparseInitializer('S', 'float32', [3, 4], [1, 6, 11], [10, 20, 30])
    .input('x', 'float32', [3, 4]).node('Add', ['x', 'S'], ['y']).output('y'));
  const t = m.graph.initializers.find((x) => x.name === 'S');
  assert.ok(t);
  assert.equal(t.location, 'sparse');
  assert.deepEqual(t.shape, [3, 4]);
  assert.equal(t.elementCount, 12);
  assert.equal(t.data?.byteLength, 48);
  const dense = new Float32Array((await bytesOf(t)).slice().buffer);
  assert.deepEqual([...dense], [0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 30]);
  assert.deepEqual(m.graph.inputs, ['x']);
});

test('If with then/else branches and a nested Loop: subgraphs, prefixed ids, outer-scope links', async () => {
  const loopBody = new OnnxBuilder('loop_body')
    .input('iter', 'int64', []).input('cond_in', 'bool', []).input('acc', 'float32', [2])
    .node('Add', ['acc', 'x'], ['acc_out']).node('Identity', ['cond_in'], ['cond_out'])
    .output('cond_out', 'bool', []).output('acc_out', 'float32', [2]);
  const thenB = new OnnxBuilder('then')
    .node('Loop', ['n', '', 'x'], ['t_out'], { body: loopBody })
    .output('t_out', 'float32', [2]);
  const elseB = new OnnxBuilder('else').initializer('k', 'float32', [2], [7, 8])
    .node('Mul', ['x', 'k'], ['e_out'], {}, { name: 'else/scale/Mul' }).output('e_out', 'float32', [2]);
  const m = await open(new OnnxBuilder().input('c', 'bool', []).input('x', 'float32', [2]).input('n', 'int64', [])
    .node('If', ['c'], ['y'], { then_branch: thenB, else_branch: elseB }).output('y', 'float32', [2]));

  const ifNode = m.graph.nodes[0];
  assert.deepEqual(ifNode.subgraphs.map((s) => [s.attribute, s.graph.name]), [['then_branch', 'then'], ['else_branch', 'else']]);
  assert.equal(attrOf(ifNode, 'then_branch').type, 'graph');
  const thenG = ifNode.subgraphs[0].graph;
  const loop = thenG.nodes[0];
  assert.equal(loop.id, 'n0/then_branch/n0');
  assert.deepEqual(loop.inputs, ['n', '', 'x']);
  const body = loop.subgraphs[0].graph;
  assert.deepEqual(body.nodes.map((n) => n.id), ['n0/then_branch/n0/body/n0', 'n0/then_branch/n0/body/n1']);
  assert.deepEqual(body.inputs, ['iter', 'cond_in', 'acc']);
  assert.equal(body.values.get('x')?.producer, undefined); // outer-scope value: consumed, produced elsewhere
  const elseG = ifNode.subgraphs[1].graph;
  assert.equal(elseG.nodes[0].scope, 'else/scale');
  assert.deepEqual(await bytesOf(elseG.initializers[0]), encodeLE('float32', [7, 8]));

  const ids = [...allGraphs(m)].flatMap((g) => g.nodes.map((n) => n.id));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.length, 5);
  assert.equal(findNode(m, 'n0/then_branch/n0/body/n1')?.opType, 'Identity');
});

test('graphs attribute (list of graphs) maps every graph with distinct ids', async () => {
  const g1 = new OnnxBuilder('g1').node('Relu', ['x'], ['a']).output('a');
  const g2 = new OnnxBuilder('g2').node('Neg', ['x'], ['b']).output('b');
  const m = await open(new OnnxBuilder().input('x', 'float32', [1]).node('Multi', ['x'], ['y'], { branches: [g1, g2] }, { domain: 'x.y' }).output('y'));
  const n = m.graph.nodes[0];
  const v = attrOf(n, 'branches');
  assert.equal(v.type, 'graphs');
  assert.deepEqual((v.value as Graph[]).map((g) => g.nodes[0].id), ['n0/branches.0/n0', 'n0/branches.1/n0']);
  assert.equal(n.subgraphs.length, 2);
});

test('subgraph nesting deeper than 64 levels is refused with a clear error', async () => {
  // One chain of then-branches (sharing a builder in both branches would double the file per level).
  const leaf = new OnnxBuilder('leaf').node('Relu', ['x'], ['y']).output('y');
  let inner = leaf;
  for (let i = 0; i < 70; i++) inner = new OnnxBuilder(`g${i}`).node('If', ['c'], ['y'], { then_branch: inner, else_branch: leaf }).output('y');
  const b = new OnnxBuilder().input('c', 'bool', []).input('x', 'float32', [1]).node('If', ['c'], ['y'], { then_branch: inner, else_branch: leaf }).output('y');
  await assert.rejects(open(b), (e: Error) => e instanceof ModelError && /nests subgraphs more than 64 levels deep/.test(e.message) && /^m\d+\.onnx: /.test(e.message));
});

test('model-local function: graph named domain:name with inputs, outputs, attributes', async () => {
  const body = new OnnxBuilder().node('Mul', ['A', 'A'], ['sq']).node('Mul', ['sq', 'A'], ['B'], { alpha: attr.ref('alpha', 1) });
  const m = await open(new OnnxBuilder().opset('my.fn', 1).input('x', 'float32', [2])
    .node('Cube', ['x'], ['y'], {}, { domain: 'my.fn' }).output('y')
    .function('my.fn', 'Cube', ['A'], ['B'], body, ['alpha']));
  assert.equal(m.functions.length, 1);
  const f = m.functions[0];
  assert.equal(f.name, 'my.fn:Cube');
  assert.deepEqual(f.inputs, ['A']);
  assert.deepEqual(f.outputs, ['B']);
  assert.deepEqual(f.attributes, ['alpha']);
  assert.deepEqual(f.nodes.map((n) => n.id), ['my.fn:Cube/n0', 'my.fn:Cube/n1']);
  assert.deepEqual(attrOf(f.nodes[1], 'alpha'), { type: 'ref', value: 'alpha' });
  assert.equal(f.values.get('sq')?.producer, 'my.fn:Cube/n0');
});

test('absurd and inconsistent declared sizes become tensor problems, not allocations', async () => {
  const m = await open(new OnnxBuilder()
    .initializer('huge', 'float32', [1 << 20, 1 << 20, 4], [], { rawBytes: new Uint8Array(8) })
    .initializer('neg', 'float32', [-1, 3], [], { rawBytes: new Uint8Array(12) })
    .initializer('short', 'float32', [4], [1, 2, 3])
    .initializer('typedShort', 'float32', [4], [1, 2, 3], { storage: 'typed' })
    .input('x', 'float32', [4]).node('Add', ['x', 'short'], ['y']).output('y'));
  const by = Object.fromEntries(m.graph.initializers.map((t) => [t.name, t]));
  assert.match(by.huge.problem ?? '', /more than 2\^40/);
  assert.equal(by.huge.data, undefined);
  assert.equal(by.huge.elementCount, 0);
  assert.match(by.neg.problem ?? '', /negative dimension/);
  assert.match(by.short.problem ?? '', /raw_data has 12 bytes, expected 16/);
  assert.equal(by.short.data, undefined);
  assert.match(by.typedShort.problem ?? '', /float_data has 3 entries, expected 4/);
  assert.equal(m.warnings.length, 4);
  assert.ok(m.warnings.some((w) => w.startsWith("tensor 'huge': ")));
});

test('an aborted signal stops open', async () => {
  const p = writeModel(dir, 'abort.onnx', new OnnxBuilder().input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('y'));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(onnxReader.open(p, { signal: ac.signal }), { name: 'AbortError' });
});

test('match: .onnx by name, other names by ONNX head bytes, never model.json', () => {
  const bytes = new OnnxBuilder().input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('y').toBytes();
  assert.equal(onnxReader.match('/a/b/Model.ONNX', new Uint8Array(0)), true);
  assert.equal(onnxReader.match('/a/b/model.bin', bytes.subarray(0, 4096)), true);
  assert.equal(onnxReader.match('/a/b/model.json', bytes.subarray(0, 4096)), false);
  assert.equal(onnxReader.match('/a/b/model.bin', new TextEncoder().encode('{"format":"layers-model"}')), false);
  assert.equal(onnxReader.match('/a/b/weights.bin', new Uint8Array([0x12, 0x34, 0x56, 0x78])), false);
});
