// The request and response bodies printed in the Open Inference Protocol's REST specification
// (kserve/open-inference-protocol, specification/protocol/inference_rest.md, "Inference Request Examples") and in
// Triton's binary tensor data extension (docs/protocol/extension_binary_data.md, "Examples"), as contracts: our
// encoder must produce those requests and our decoder must read those responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeInferResponse, encodeInferRequest, HEADER_LENGTH, ProtocolError } from '../../src/runtime/backends/oip/codec';
import type { NdArray } from '../../src/formats/arrays/ndarray';

// inference_rest.md, the request as printed. Its input1 lists one value for shape [3] (the spec's own slip): the
// contract below holds our request to everything else, and to three values there.
const SPEC_REQUEST = `{
  "id" : "42",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 2, 2 ],
      "datatype" : "UINT32",
      "data" : [ 1, 2, 3, 4 ]
    },
    {
      "name" : "input1",
      "shape" : [ 3 ],
      "datatype" : "BOOL",
      "data" : [ true ]
    }
  ],
  "outputs" : [
    {
      "name" : "output0"
    }
  ]
}`;

// inference_rest.md, the response as printed, but for the comma missing after "42" in the specification.
const SPEC_RESPONSE = `{
  "id" : "42",
  "outputs" : [
    {
      "name" : "output0",
      "shape" : [ 3, 2 ],
      "datatype"  : "FP32",
      "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ]
    }
  ]
}`;

// extension_binary_data.md: the request's JSON part, then 16 + 3 bytes; the response's JSON part, then 24 bytes.
const SPEC_BINARY_REQUEST = `{
  "model_name" : "mymodel",
  "inputs" : [
    { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "parameters" : { "binary_data_size" : 16 } },
    { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL", "parameters" : { "binary_data_size" : 3 } }
  ],
  "outputs" : [ { "name" : "output0", "parameters" : { "binary_data" : true } } ]
}`;
const SPEC_BINARY_RESPONSE = `{
  "outputs" : [
    { "name" : "output0", "shape" : [ 3, 2 ], "datatype"  : "FP32", "parameters" : { "binary_data_size" : 24 } }
  ]
}`;

const inputs = new Map<string, NdArray>([
  ['input0', { dtype: 'uint32', shape: [2, 2], data: Uint32Array.from([1, 2, 3, 4]) }],
  ['input1', { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) }],
]);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('the JSON inference request is the specification\'s (inputs, datatypes, shapes, data, requested outputs)', () => {
  const { body, headers } = encodeInferRequest(inputs, ['output0'], false);
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers[HEADER_LENGTH], undefined, 'a JSON-only request has no binary part');
  const ours = JSON.parse(text(body)) as { inputs: Record<string, unknown>[]; outputs: unknown };
  const spec = JSON.parse(SPEC_REQUEST) as typeof ours;
  assert.deepEqual(ours.outputs, spec.outputs);
  assert.deepEqual(ours.inputs[0], spec.inputs[0]);
  assert.deepEqual({ ...ours.inputs[1], data: undefined }, { ...spec.inputs[1], data: undefined });
  assert.deepEqual(ours.inputs[1].data, [true, false, true]);
});

test('the JSON inference response of the specification decodes to its FP32 [3, 2] tensor', () => {
  const r = decodeInferResponse(new TextEncoder().encode(SPEC_RESPONSE), undefined);
  assert.equal(r.id, '42');
  assert.equal(r.outputs.length, 1);
  const o = r.outputs[0];
  assert.equal(o.name, 'output0');
  assert.equal(o.datatype, 'FP32');
  assert.deepEqual(o.array.shape, [3, 2]);
  assert.ok(o.array.data instanceof Float32Array);
  assert.deepEqual(Array.from(o.array.data), Array.from(Float32Array.from([1.0, 1.1, 2.0, 2.1, 3.0, 3.1])));
});

test('the specification\'s response exactly as printed (a comma missing) is refused as malformed JSON, not misread', () => {
  const printed = SPEC_RESPONSE.replace('"42",', '"42"');
  assert.throws(() => decodeInferResponse(new TextEncoder().encode(printed), undefined), (e: unknown) => e instanceof ProtocolError && /not valid JSON/.test(e.message));
});

test('the binary inference request is the extension\'s: JSON header with binary_data_size, 16 + 3 bytes after it', () => {
  const { body, headers } = encodeInferRequest(inputs, ['output0'], true);
  assert.equal(headers['content-type'], 'application/octet-stream');
  const jsonLength = Number(headers[HEADER_LENGTH]);
  assert.equal(body.length, jsonLength + 19, 'Content-Length is the JSON plus the 19 bytes of tensor data');
  const ours = JSON.parse(text(body.subarray(0, jsonLength))) as Record<string, unknown>;
  const spec = JSON.parse(SPEC_BINARY_REQUEST) as Record<string, unknown>;
  assert.deepEqual(ours.inputs, spec.inputs);
  assert.deepEqual(ours.outputs, spec.outputs);
  const data = body.subarray(jsonLength);
  assert.deepEqual(Array.from(new Uint32Array(data.slice(0, 16).buffer)), [1, 2, 3, 4], 'UINT32 little-endian, row major');
  assert.deepEqual(Array.from(data.subarray(16)), [1, 0, 1], 'BOOL: one byte per element');
});

test('the binary inference response of the extension decodes its 24 bytes as FP32 [3, 2]', () => {
  const head = new TextEncoder().encode(SPEC_BINARY_RESPONSE);
  const values = Float32Array.from([1.0, 1.1, 2.0, 2.1, 3.0, 3.1]);
  const body = new Uint8Array(head.length + 24);
  body.set(head);
  body.set(new Uint8Array(values.buffer), head.length);
  const r = decodeInferResponse(body, head.length);
  assert.deepEqual(r.outputs[0].array.shape, [3, 2]);
  assert.deepEqual(Array.from(r.outputs[0].array.data as Float32Array), Array.from(values));
  assert.throws(() => decodeInferResponse(body.subarray(0, body.length - 1), head.length), /binary_data_size 24, beyond the 23 bytes/);
});

test('every protocol datatype round-trips through the binary extension and through JSON', () => {
  const all: [string, NdArray][] = [
    ['b', { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) }],
    ['u8', { dtype: 'uint8', shape: [2], data: Uint8Array.from([0, 255]) }],
    ['u16', { dtype: 'uint16', shape: [2], data: Uint16Array.from([0, 65535]) }],
    ['u32', { dtype: 'uint32', shape: [2], data: Uint32Array.from([0, 2 ** 32 - 1]) }],
    ['u64', { dtype: 'uint64', shape: [2], data: BigUint64Array.from([0n, 2n ** 53n]) }],
    ['i8', { dtype: 'int8', shape: [2], data: Int8Array.from([-128, 127]) }],
    ['i16', { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) }],
    ['i32', { dtype: 'int32', shape: [2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) }],
    ['i64', { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 53n), 2n ** 53n]) }],
    ['f16', { dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0xc000]) }], // 1, -2
    ['bf16', { dtype: 'bfloat16', shape: [2], data: Uint16Array.from([0x3f80, 0xc000]) }], // 1, -2
    ['f32', { dtype: 'float32', shape: [2], data: Float32Array.from([0.1, -3.5]) }],
    ['f64', { dtype: 'float64', shape: [2], data: Float64Array.from([0.1, -1e300]) }],
    ['s', { dtype: 'string', shape: [2], data: ['héllo', ''] }],
  ];
  const feeds = new Map(all);
  for (const binary of [true, false]) {
    const { body, headers } = encodeInferRequest(feeds, [], binary);
    // The request's inputs read back as a response's outputs: the same tensor encoding on both directions.
    const jsonLength = headers[HEADER_LENGTH] === undefined ? undefined : Number(headers[HEADER_LENGTH]);
    const head = JSON.parse(text(jsonLength === undefined ? body : body.subarray(0, jsonLength))) as { inputs: unknown[] };
    const asResponse = new TextEncoder().encode(JSON.stringify({ outputs: head.inputs }));
    const bodyOut = new Uint8Array(asResponse.length + body.length - (jsonLength ?? body.length));
    bodyOut.set(asResponse);
    bodyOut.set(body.subarray(jsonLength ?? body.length), asResponse.length);
    const r = decodeInferResponse(bodyOut, jsonLength === undefined ? undefined : asResponse.length);
    for (const [name, a] of all) {
      const o = r.outputs.find((x) => x.name === name)!;
      assert.equal(o.array.dtype, a.dtype, `${name} (${binary ? 'binary' : 'JSON'})`);
      assert.deepEqual(Array.from(o.array.data as ArrayLike<unknown>), Array.from(a.data as ArrayLike<unknown>), `${name} (${binary ? 'binary' : 'JSON'})`);
    }
  }
});

test('JSON cannot carry NaN: such an input is refused with the reason instead of sending invalid JSON', () => {
  const f = new Map<string, NdArray>([['x', { dtype: 'float32', shape: [1], data: Float32Array.from([NaN]) }]]);
  assert.throws(() => encodeInferRequest(f, [], false), /input "x" holds NaN, which JSON cannot carry/);
  assert.doesNotThrow(() => encodeInferRequest(f, [], true));
});

test('responses that break the protocol are named: unknown datatype, element count, BYTES cut off, trailing bytes', () => {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  assert.throws(() => decodeInferResponse(enc({ outputs: [{ name: 'y', shape: [1], datatype: 'FP8', data: [1] }] }), undefined), /output "y" has datatype "FP8"/);
  assert.throws(() => decodeInferResponse(enc({ outputs: [{ name: 'y', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }] }), undefined), /output "y" has 3 elements for a shape of 4/);
  assert.throws(() => decodeInferResponse(enc({ outputs: [{ name: 'y', shape: [-1], datatype: 'FP32', data: [] }] }), undefined), /output "y" has shape \[-1\]/);
  assert.throws(() => decodeInferResponse(enc({ nothing: 1 }), undefined), /no "outputs" list/);
  const head = enc({ outputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] });
  const body = new Uint8Array(head.length + 6);
  body.set(head);
  new DataView(body.buffer).setUint32(head.length, 10, true);
  assert.throws(() => decodeInferResponse(body, head.length), /BYTES element runs past/);
  const extra = new Uint8Array(head.length + 3);
  extra.set(enc({ outputs: [] }));
  assert.throws(() => decodeInferResponse(extra.subarray(0, enc({ outputs: [] }).length + 3), enc({ outputs: [] }).length), /3 bytes after its last tensor/);
  assert.deepEqual(Array.from(decodeInferResponse(enc({ outputs: [{ name: 'y', shape: [2, 2], datatype: 'INT32', data: [[1, 2], [3, 4]] }] }), undefined).outputs[0].array.data as Int32Array), [1, 2, 3, 4], 'nested data in its natural form');
});
