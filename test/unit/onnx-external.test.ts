import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnxReader } from '../../src/formats/onnx/reader';
import { ModelError } from '../../src/model/errors';
import type { Model } from '../../src/model/graph';
import type { Tensor } from '../../src/model/tensor';
import { encodeLE, OnnxBuilder, writeModel } from '../support/onnx-builder';

const root = mkdtempSync(join(tmpdir(), 'onnx-ext-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
/** A fresh folder per case so data files of one case never satisfy another. */
function folder(): string {
  const d = join(root, `case${seq++}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** A model whose single weight W [2,2] float32 points at `ref` (no bytes written by the builder). */
function refModel(dir: string, ref: Record<string, string>): string {
  return writeModel(dir, 'model.onnx', new OnnxBuilder().initializer('W', 'float32', [2, 2], [], { externalRef: ref })
    .input('x', 'float32', [2, 2]).node('Add', ['x', 'W'], ['y']).output('y', 'float32', [2, 2]));
}

function weight(m: Model, name = 'W'): Tensor {
  const t = m.graph.initializers.find((x) => x.name === name);
  assert.ok(t, `initializer ${name}`);
  return t;
}

test('external data: good file reads exact bytes lazily at the right offsets; dispose closes handles', async () => {
  const dir = folder();
  const w1 = [1, 2, 3, 4, 5, 6];
  const w2 = [-1.5, 2.25];
  const path = writeModel(dir, 'model.onnx', new OnnxBuilder()
    .initializer('W1', 'float32', [2, 3], w1, { storage: 'external' })
    .initializer('W2', 'float32', [2], w2, { storage: 'external' })
    .initializer('inl', 'float32', [1], [9])
    .input('x', 'float32', [3]).node('MatMul', ['W1', 'x'], ['h']).node('Add', ['h', 'W2'], ['y']).output('y', 'float32', [2]),
  { externalData: 'model.onnx.data' });
  const m = await onnxReader.open(path);
  assert.deepEqual(m.warnings, []);
  const t1 = weight(m, 'W1');
  const t2 = weight(m, 'W2');
  assert.equal(t1.location, 'external');
  assert.equal(t1.origin, 'model.onnx.data @ 0');
  assert.equal(t2.origin, 'model.onnx.data @ 32'); // 24 bytes, aligned to 16
  assert.deepEqual(await t1.data!.read(0, 24), encodeLE('float32', w1));
  assert.deepEqual(await t2.data!.read(0, 8), encodeLE('float32', w2));
  assert.deepEqual(await t1.data!.read(8, 8), encodeLE('float32', [3, 4]));
  await assert.rejects(t2.data!.read(4, 8), ModelError);
  await m.dispose!();
  // After dispose a read reopens the file on demand rather than using a closed handle.
  assert.deepEqual(await t2.data!.read(0, 8), encodeLE('float32', w2));
  await m.dispose!();
});

test('external data: relative path in a subfolder is allowed', async () => {
  const dir = folder();
  mkdirSync(join(dir, 'weights'));
  writeFileSync(join(dir, 'weights', 'w.bin'), encodeLE('float32', [1, 2, 3, 4]));
  const m = await onnxReader.open(refModel(dir, { location: 'weights/w.bin', offset: '0', length: '16' }));
  assert.deepEqual(m.warnings, []);
  assert.deepEqual(await weight(m).data!.read(0, 16), encodeLE('float32', [1, 2, 3, 4]));
  await m.dispose!();
});

/** open() must reject with the one-line escape error naming the model file, the tensor and the path. */
async function refused(path: string, location: string, why: RegExp): Promise<void> {
  await assert.rejects(onnxReader.open(path), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.ok(e.message.startsWith(`model.onnx: external data path ${JSON.stringify(location)} (tensor 'W') leaves the model folder (`), e.message);
    assert.match(e.message, why);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

test('external data: a path escaping the folder with ../ refuses the whole model', async () => {
  const dir = folder();
  writeFileSync(join(root, 'outside.bin'), new Uint8Array(16));
  await refused(refModel(dir, { location: '../outside.bin' }), '../outside.bin', /climbs out with '\.\.'/);
});

test('external data: an absolute path refuses the model, Windows and URL spellings too', async () => {
  const dir = folder();
  const abs = join(root, 'abs.bin');
  writeFileSync(abs, new Uint8Array(16));
  await refused(refModel(dir, { location: abs }), abs, /it is absolute/);
  // Refused on every platform: a model made on Windows must not reach C:\ or a share.
  for (const [loc, why] of [['C:\\Windows\\w.bin', /Windows drive/], ['\\\\server\\share\\w.bin', /UNC/], ['file:///etc/passwd', /URL/]] as const) {
    await refused(refModel(folder(), { location: loc }), loc, why);
  }
});

test('external data: a symlink inside the folder that points outside refuses the model', async () => {
  const dir = folder();
  writeFileSync(join(root, 'secret.bin'), new Uint8Array(16));
  symlinkSync(join(root, 'secret.bin'), join(dir, 'w.bin'));
  await refused(refModel(dir, { location: 'w.bin' }), 'w.bin', /a symlink takes it outside/);
});

test('external data: a symlink that stays inside the folder is fine', async () => {
  const dir = folder();
  writeFileSync(join(dir, 'real.bin'), encodeLE('float32', [4, 3, 2, 1]));
  symlinkSync(join(dir, 'real.bin'), join(dir, 'link.bin'));
  const m = await onnxReader.open(refModel(dir, { location: 'link.bin' }));
  assert.deepEqual(m.warnings, []);
  assert.deepEqual(await weight(m).data!.read(0, 16), encodeLE('float32', [4, 3, 2, 1]));
  await m.dispose!();
});

test('external data: a missing file gives a warning and a tensor problem; the graph opens', async () => {
  const dir = folder();
  const m = await onnxReader.open(refModel(dir, { location: 'gone.bin' }));
  assert.equal(weight(m).data, undefined);
  assert.equal(weight(m).problem, "external data file 'gone.bin' not found");
  assert.deepEqual(m.warnings, ["external data file 'gone.bin' was not found next to the model (1 tensor without data)"]);
  assert.deepEqual(m.graph.inputs, ['x']);
  assert.equal(m.graph.nodes[0].opType, 'Add');
});

test('external data: offset/length out of range, negative, non-integer or mismatched are problems', async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ offset: '8', length: '16' }, /range \[8, 24\) is beyond the end of 'w\.bin' \(16 bytes\)/],
    [{ offset: '100' }, /range \[100, 116\) is beyond the end/],
    [{ offset: '-4' }, /offset '-4' is not a non-negative integer/],
    [{ offset: '1.5' }, /offset '1\.5' is not a non-negative integer/],
    [{ offset: '0', length: 'abc' }, /length 'abc' is not a non-negative integer/],
    [{ offset: '0', length: '8' }, /length 8 does not match its shape and dtype \(16 bytes\)/],
  ];
  for (const [ref, re] of cases) {
    const dir = folder();
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(16));
    const m = await onnxReader.open(refModel(dir, { location: 'w.bin', ...ref }));
    const t = weight(m);
    assert.equal(t.data, undefined, JSON.stringify(ref));
    assert.match(t.problem ?? '', re, JSON.stringify(ref));
    assert.equal(m.warnings.length, 1);
  }
});

test('external data: a file that shrinks after open makes reads reject with a ModelError', async () => {
  const dir = folder();
  writeFileSync(join(dir, 'w.bin'), encodeLE('float32', [1, 2, 3, 4]));
  const m = await onnxReader.open(refModel(dir, { location: 'w.bin' }));
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(4));
  await assert.rejects(weight(m).data!.read(0, 16), (e: Error) => e instanceof ModelError && /ended early/.test(e.message));
  await m.dispose!();
});
