// ONNX TensorProto input files in every storage ONNX writers use (raw_data and the typed *_data fields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { parseTensorPb } from '../../src/formats/arrays/tensor-pb';
import { numberAt } from '../../src/formats/arrays/ndarray';
import { ModelError } from '../../src/model/errors';

const enc = (t: onnx.ITensorProto) => onnx.TensorProto.encode(onnx.TensorProto.fromObject(t)).finish();
const T = onnx.TensorProto.DataType;
const vals = (a: ReturnType<typeof parseTensorPb>['array']) => Array.from({ length: a.data.length }, (_, i) => numberAt(a, i));

test('raw_data and typed fields decode to the same values', () => {
  const f = new Float32Array([1.5, -2, 3.25, 0, 7, -8]);
  const raw = parseTensorPb('raw.pb', enc({ name: 'x', dims: [2, 3], dataType: T.FLOAT, rawData: new Uint8Array(f.buffer) }));
  const typed = parseTensorPb('typed.pb', enc({ name: 'x', dims: [2, 3], dataType: T.FLOAT, floatData: Array.from(f) }));
  assert.equal(raw.name, 'x');
  assert.deepEqual(raw.array.shape, [2, 3]);
  assert.deepEqual(vals(raw.array), Array.from(f));
  assert.deepEqual(vals(typed.array), Array.from(f));
});

test('int32_data carries int8, bool and float16 bits; int64_data carries int64', () => {
  const i8 = parseTensorPb('i8.pb', enc({ dims: [3], dataType: T.INT8, int32Data: [-128, 0, 127] }));
  assert.deepEqual([i8.array.dtype, vals(i8.array)], ['int8', [-128, 0, 127]]);
  const b = parseTensorPb('b.pb', enc({ dims: [2], dataType: T.BOOL, int32Data: [1, 0] }));
  assert.deepEqual([b.array.dtype, vals(b.array)], ['bool', [1, 0]]);
  const h = parseTensorPb('h.pb', enc({ dims: [2], dataType: T.FLOAT16, int32Data: [0x3c00, 0xc000] })); // 1, -2
  assert.deepEqual([h.array.dtype, vals(h.array)], ['float16', [1, -2]]);
  const l = parseTensorPb('l.pb', enc({ dims: [2], dataType: T.INT64, int64Data: [-5, 9007199254740993n.toString()] }));
  assert.equal(l.array.dtype, 'int64');
  assert.deepEqual(Array.from(l.array.data as BigInt64Array), [-5n, 9007199254740993n]);
  const s = parseTensorPb('s.pb', enc({ dims: [2], dataType: T.STRING, stringData: [Buffer.from('a'), Buffer.from('héllo')] }));
  assert.deepEqual(s.array.data, ['a', 'héllo']);
});

test('files that are not tensors fail with one-line ModelErrors', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['short.pb', enc({ dims: [1000], dataType: T.FLOAT, rawData: new Uint8Array(8) }), /short\.pb: claims 1000 elements/],
    ['few.pb', enc({ dims: [4], dataType: T.FLOAT, floatData: [1, 2] }), /few\.pb: has 2 values, shape needs 4/],
    ['cplx.pb', enc({ dims: [1], dataType: T.COMPLEX64, floatData: [1, 2] }), /cplx\.pb: holds ONNX data type 14/],
    ['junk.pb', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), /junk\.pb: is not a valid ONNX TensorProto/],
  ];
  for (const [name, bytes, re] of cases) {
    assert.throws(() => parseTensorPb(name, bytes), (e: unknown) => e instanceof ModelError && re.test(e.message) && !e.message.includes('\n'), name);
  }
});
