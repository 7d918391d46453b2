import type { DType } from '../../../model/dtype';
import { bfloat16ToNumber, float16ToNumber, floatToHalf } from '../../../model/float-bits';
import type { NdArray, NdData } from '../../../formats/arrays/ndarray';
import { allocData, elementCount, fromLittleEndian } from '../../../formats/arrays/ndarray';
import { dtypeOf, floatToBfloat16, isOipDatatype, oipDatatypeOf, wireBytes, type OipDatatype } from './datatypes';

// Inference request and response bodies: JSON `data` (inference_rest.md, "Tensor Data") or the binary tensor data
// extension (Triton's extension_binary_data.md: a JSON header, then each tensor's little-endian bytes in order, the
// header's length in the Inference-Header-Content-Length header). Our typed arrays are little-endian: every platform
// Node and VS Code run on is.

/** A body that breaks the protocol; the session names the server and the model around it. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export const HEADER_LENGTH = 'inference-header-content-length';

export interface EncodedBody {
  body: Uint8Array;
  headers: Record<string, string>;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function datatypeFor(name: string, a: NdArray): OipDatatype {
  const d = oipDatatypeOf(a.dtype);
  if (!d) throw new ProtocolError(`input "${name}" is ${a.dtype}, which the Open Inference Protocol has no datatype for`);
  return d;
}

/** The elements as JSON text (without brackets); 64-bit integers exactly, as their decimal digits. */
function jsonData(name: string, a: NdArray): string {
  const d = a.data;
  if (Array.isArray(d)) return d.map((s) => JSON.stringify(s)).join(',');
  if (a.dtype === 'bool') return Array.from(d as Uint8Array, (v) => (v ? 'true' : 'false')).join(',');
  if (a.dtype === 'float16' || a.dtype === 'bfloat16') {
    const dec = a.dtype === 'float16' ? float16ToNumber : bfloat16ToNumber;
    return Array.from(d as Uint16Array, (v) => finite(name, dec(v))).join(',');
  }
  if (d instanceof Float32Array || d instanceof Float64Array) {
    for (const v of d) finite(name, v);
  }
  return (d as Exclude<NdData, string[]>).join(',');
}

function finite(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new ProtocolError(`input "${name}" holds ${v}, which JSON cannot carry (the server does not offer binary_tensor_data)`);
  return v;
}

/** The elements' wire bytes for the binary extension (BYTES: a 4-byte little-endian length before each element). */
function binaryData(a: NdArray): Uint8Array {
  const d = a.data;
  if (Array.isArray(d)) {
    const parts = d.map((s) => utf8.encode(s));
    const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    const view = new DataView(out.buffer);
    let o = 0;
    for (const p of parts) {
      view.setUint32(o, p.length, true);
      out.set(p, o + 4);
      o += 4 + p.length;
    }
    return out;
  }
  const t = d as Exclude<NdData, string[]>;
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/**
 * An inference request for these inputs, asking for `outputs` by name. `binary`: tensors as binary data (inputs and
 * the outputs asked for), else everything as JSON.
 */
export function encodeInferRequest(inputs: ReadonlyMap<string, NdArray>, outputs: readonly string[], binary: boolean): EncodedBody {
  if (!binary) {
    const ins = [...inputs].map(([name, a]) =>
      `{"name":${JSON.stringify(name)},"shape":${JSON.stringify(a.shape)},"datatype":"${datatypeFor(name, a)}","data":[${jsonData(name, a)}]}`);
    const outs = outputs.map((name) => `{"name":${JSON.stringify(name)}}`);
    return { body: utf8.encode(`{"inputs":[${ins.join(',')}],"outputs":[${outs.join(',')}]}`), headers: { 'content-type': 'application/json' } };
  }
  const chunks: Uint8Array[] = [];
  const header = {
    inputs: [...inputs].map(([name, a]) => {
      const bytes = binaryData(a);
      chunks.push(bytes);
      return { name, shape: a.shape, datatype: datatypeFor(name, a), parameters: { binary_data_size: bytes.byteLength } };
    }),
    outputs: outputs.map((name) => ({ name, parameters: { binary_data: true } })),
  };
  const head = utf8.encode(JSON.stringify(header));
  const body = new Uint8Array(head.length + chunks.reduce((n, c) => n + c.byteLength, 0));
  body.set(head, 0);
  let o = head.length;
  for (const c of chunks) {
    body.set(c, o);
    o += c.byteLength;
  }
  return { body, headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.length) } };
}

export interface DecodedOutput {
  name: string;
  datatype: OipDatatype;
  array: NdArray;
}

export interface DecodedResponse {
  modelName?: string;
  modelVersion?: string;
  id?: string;
  outputs: DecodedOutput[];
}

/** JSON text of a body, or a ProtocolError quoting its start. */
export function parseJson(bytes: Uint8Array, what: string): unknown {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    throw new ProtocolError(`${what} is not UTF-8 text`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const start = text.slice(0, 80).replace(/\s+/g, ' ');
    throw new ProtocolError(`${what} is not valid JSON (${(e as Error).message}; it starts "${start}")`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A shape as the protocol sends it: whole non-negative numbers (`allowDynamic`: -1 too, in metadata). */
export function checkShape(x: unknown, what: string, allowDynamic = false): number[] {
  if (!Array.isArray(x) || x.length > 64 || !x.every((d) => Number.isSafeInteger(d) && (d >= 0 || (allowDynamic && d === -1)))) {
    throw new ProtocolError(`${what} has shape ${JSON.stringify(x)?.slice(0, 80)}, not a list of ${allowDynamic ? 'dimensions (-1 for variable)' : 'sizes'}`);
  }
  return x as number[];
}

/** Parses an inference response body; `headerLength` from Inference-Header-Content-Length (binary data follows). */
export function decodeInferResponse(body: Uint8Array, headerLength: number | undefined): DecodedResponse {
  if (headerLength !== undefined && !(Number.isSafeInteger(headerLength) && headerLength >= 0 && headerLength <= body.length)) {
    throw new ProtocolError(`the response's Inference-Header-Content-Length (${headerLength}) is not within its ${body.length}-byte body`);
  }
  const json = parseJson(headerLength === undefined ? body : body.subarray(0, headerLength), 'the inference response');
  if (!isObject(json) || !Array.isArray(json.outputs)) throw new ProtocolError('the inference response has no "outputs" list');
  let offset = headerLength ?? body.length;
  const outputs: DecodedOutput[] = [];
  for (const [i, o] of json.outputs.entries()) {
    if (!isObject(o) || typeof o.name !== 'string') throw new ProtocolError(`output ${i} of the inference response has no name`);
    const what = `output "${o.name}"`;
    if (!isOipDatatype(o.datatype)) throw new ProtocolError(`${what} has datatype ${JSON.stringify(o.datatype)?.slice(0, 40)}, not one of the protocol's`);
    const shape = checkShape(o.shape, what);
    const n = elementCount(shape);
    const size = isObject(o.parameters) ? o.parameters.binary_data_size : undefined;
    let data: NdData;
    if (size !== undefined) {
      if (!(Number.isSafeInteger(size) && (size as number) >= 0 && offset + (size as number) <= body.length)) {
        throw new ProtocolError(`${what} says binary_data_size ${String(size)}, beyond the ${body.length - offset} bytes left in the body`);
      }
      data = binaryElements(what, o.datatype, body.subarray(offset, offset + (size as number)), n);
      offset += size as number;
    } else {
      data = jsonElements(what, o.datatype, o.data, n);
    }
    outputs.push({ name: o.name, datatype: o.datatype, array: { dtype: dtypeOf(o.datatype), shape, data } });
  }
  if (offset !== body.length) throw new ProtocolError(`the response has ${body.length - offset} bytes after its last tensor`);
  return {
    outputs,
    ...(typeof json.model_name === 'string' ? { modelName: json.model_name } : {}),
    ...(typeof json.model_version === 'string' ? { modelVersion: json.model_version } : {}),
    ...(typeof json.id === 'string' ? { id: json.id } : {}),
  };
}

function binaryElements(what: string, datatype: OipDatatype, bytes: Uint8Array, n: number): NdData {
  const per = wireBytes(datatype);
  if (per === undefined) {
    const out: string[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    while (o < bytes.length) {
      if (o + 4 > bytes.length) throw new ProtocolError(`${what}: a BYTES element's length is cut off`);
      const len = view.getUint32(o, true);
      if (o + 4 + len > bytes.length) throw new ProtocolError(`${what}: a BYTES element runs past its tensor's data`);
      out.push(new TextDecoder().decode(bytes.subarray(o + 4, o + 4 + len)));
      o += 4 + len;
    }
    if (out.length !== n) throw new ProtocolError(`${what} has ${out.length} BYTES elements for a shape of ${n}`);
    return out;
  }
  if (bytes.length !== n * per) throw new ProtocolError(`${what} has ${bytes.length} bytes of ${datatype} data for a shape of ${n} elements (${n * per} bytes)`);
  return fromLittleEndian(dtypeOf(datatype), bytes, n)!;
}

/** JSON elements, flat or nested in the tensor's natural form, into our typed storage. */
function jsonElements(what: string, datatype: OipDatatype, data: unknown, n: number): NdData {
  if (!Array.isArray(data)) throw new ProtocolError(`${what} has neither "data" nor binary_data_size`);
  const flat = (data.some(Array.isArray) ? data.flat(64) : data) as unknown[];
  if (flat.length !== n) throw new ProtocolError(`${what} has ${flat.length} elements for a shape of ${n}`);
  const bad = (i: number, want: string) => new ProtocolError(`${what}: element ${i} is ${JSON.stringify(flat[i])?.slice(0, 40)}, not ${want}`);
  const dtype: DType = dtypeOf(datatype);
  if (datatype === 'BYTES') {
    flat.forEach((v, i) => {
      if (typeof v !== 'string') throw bad(i, 'a string');
    });
    return flat as string[];
  }
  if (datatype === 'BOOL') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (v !== true && v !== false && v !== 0 && v !== 1) throw bad(i, 'a boolean');
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  const integer = !datatype.startsWith('FP') && datatype !== 'BF16';
  for (let i = 0; i < n; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || (integer && !Number.isInteger(v))) throw bad(i, integer ? 'an integer' : 'a number');
  }
  const nums = flat as number[];
  if (datatype === 'INT64') return BigInt64Array.from(nums, (v) => BigInt(v));
  if (datatype === 'UINT64') return BigUint64Array.from(nums, (v) => BigInt(v));
  if (datatype === 'FP16') return Uint16Array.from(nums, floatToHalf);
  if (datatype === 'BF16') return Uint16Array.from(nums, floatToBfloat16);
  const out = allocData(dtype, n) as Exclude<NdData, string[] | BigInt64Array | BigUint64Array>;
  out.set(nums);
  return out;
}
