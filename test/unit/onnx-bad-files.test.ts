import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { openModel } from '../../src/formats/registry';
import { ModelError } from '../../src/model/errors';
import { OnnxBuilder } from '../support/onnx-builder';

const dir = mkdtempSync(join(tmpdir(), 'onnx-bad-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A real conformance model with weights (Conv), so truncation lands inside tensors, nodes and opsets. */
const REAL = '/usr/share/libonnx-testdata/data/pytorch-operator/test_operator_conv/model.onnx';

function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Opening must fail with a ModelError whose one-line message is "<file>: <problem>" matching `problem`. */
async function rejects(path: string, problem: RegExp): Promise<void> {
  const name = path.split('/').pop()!;
  await assert.rejects(openModel(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, `expected ModelError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    assert.match(e.problem, problem);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('empty file', async () => {
  await rejects(file('empty.onnx', new Uint8Array(0)), /^is empty \(0 bytes\)$/);
});

test('a file over 2 GiB (sparse on disk) is refused with the reason, without reading it', async () => {
  const p = file('huge.onnx', new Uint8Array(0));
  truncateSync(p, 2 ** 31 + 4096);
  await rejects(p, /^is larger than 2 GiB, which protobuf cannot hold/);
});

test('missing file', async () => {
  await rejects(join(dir, 'nope.onnx'), /^cannot be read \(ENOENT\)$/);
});

test('a real model truncated at several offsets', async () => {
  const full = readFileSync(REAL);
  assert.equal(full.length, 7746, 'conformance model changed; pick offsets again');
  // 1: after the ir_version tag, before its value; 23/167: inside the graph header; 1001/4000/7000: inside weights and nodes;
  // 7745: inside the trailing opset_import.
  for (const at of [1, 23, 167, 1001, 4000, 7000, 7745]) {
    await rejects(file(`conv-cut-${at}.onnx`, full.subarray(0, at)), /^is not a valid ONNX file \(truncated or corrupt protobuf: .+\)$/);
  }
});

test('a real model cut exactly before its opset_import opens, but warns', async () => {
  const full = readFileSync(REAL);
  const m = await openModel(file('conv-no-opset.onnx', full.subarray(0, 7742)));
  assert.deepEqual(m.opsets, []);
  assert.ok(m.warnings.some((w) => /no opset_import .*truncated/.test(w)), m.warnings.join('|'));
});

test('random bytes', async () => {
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let k = 0; k < 8; k++) {
    await rejects(file(`random-${k}.onnx`, Uint8Array.from({ length: 2048 }, rnd)), /^is not a valid ONNX file \(/);
  }
});

test('a TF.js model.json renamed to .onnx', async () => {
  const json = JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] });
  await rejects(file('renamed.onnx', json), /^is not a valid ONNX file \(it is JSON text/);
});

test('protobuf without a graph, and an empty graph', async () => {
  const noGraph = onnx.ModelProto.encode({ irVersion: 8, producerName: 'x', opsetImport: [{ domain: '', version: 17 }] }).finish();
  await rejects(file('no-graph.onnx', noGraph), /^is not a valid ONNX file \(it has no graph\)$/);
  const emptyGraph = onnx.ModelProto.encode({ irVersion: 8, graph: { name: 'g' }, opsetImport: [{ domain: '', version: 17 }] }).finish();
  await rejects(file('empty-graph.onnx', emptyGraph), /^has an empty graph/);
});

test('wrong extension: a text file is not claimed; a real ONNX file under another name is sniffed', async () => {
  await rejects(file('notes.txt', 'hello, this is not a model\n'), /^is not a model format Model Inspector reads/);
  await rejects(file('weights.bin', new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a])), /^is not a model format Model Inspector reads/);
  const renamed = join(dir, 'conv.model');
  copyFileSync(REAL, renamed);
  const m = await openModel(renamed);
  assert.equal(m.format, 'onnx');
  assert.ok(m.graph.nodes.length > 0);
});

test('a built model under a .pb name is sniffed as ONNX', async () => {
  const bytes = new OnnxBuilder().input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('y').toBytes();
  const m = await openModel(file('relu.pb', bytes));
  assert.deepEqual(m.graph.inputs, ['x']);
});
