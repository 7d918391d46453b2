import { onnx } from 'onnx-proto';
// onnx-proto's own protobufjs runtime (hoisted): its generated decoders accept this Reader positioned anywhere.
import { Reader } from 'protobufjs/minimal';
import type { Pacer } from '../pace';

/**
 * ModelProto decoding in slices. onnx-proto's `ModelProto.decode` is one synchronous call (~0.7 s for a 200k-node
 * graph), during which the engine cannot even read a cancel message. Here the top level is walked by hand: the
 * graph's big repeated fields are decoded one element at a time with the generated per-message decoders (pausing
 * through the Pacer), and every other field is decoded by the generated code on its own byte range and merged, so
 * the result (and the byte offsets in error messages) match a one-shot decode.
 */
export async function decodeModelSliced(buf: Uint8Array, pacer: Pacer): Promise<onnx.ModelProto> {
  const reader = Reader.create(buf);
  const model = new onnx.ModelProto();
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    if (tag >>> 3 === 7) {
      model.graph = await decodeGraphSliced(reader, reader.uint32(), pacer);
    } else {
      decodeFieldInto(reader, start, tag, onnx.ModelProto, model);
    }
  }
  return model;
}

/** GraphProto fields that can hold thousands of elements, with the decoder of one element. */
const BIG_REPEATED: ReadonlyMap<number, { key: keyof onnx.GraphProto; decode(r: Reader, len: number): unknown }> = new Map([
  [1, { key: 'node', decode: (r, n) => onnx.NodeProto.decode(r, n) }],
  [5, { key: 'initializer', decode: (r, n) => onnx.TensorProto.decode(r, n) }],
  [11, { key: 'input', decode: (r, n) => onnx.ValueInfoProto.decode(r, n) }],
  [12, { key: 'output', decode: (r, n) => onnx.ValueInfoProto.decode(r, n) }],
  [13, { key: 'valueInfo', decode: (r, n) => onnx.ValueInfoProto.decode(r, n) }],
]);

async function decodeGraphSliced(reader: Reader, length: number, pacer: Pacer): Promise<onnx.GraphProto> {
  const end = reader.pos + length;
  const graph = new onnx.GraphProto();
  const lists = graph as unknown as Record<string, unknown[]>;
  while (reader.pos < end) {
    const start = reader.pos;
    const tag = reader.uint32();
    const big = BIG_REPEATED.get(tag >>> 3);
    if (big) {
      // Same steps as the generated code: the element's length varint, then its decoder.
      const item = big.decode(reader, reader.uint32());
      if (!Object.prototype.hasOwnProperty.call(graph, big.key)) lists[big.key] = [];
      lists[big.key].push(item);
      const p = pacer.tick();
      if (p) await p;
    } else {
      decodeFieldInto(reader, start, tag, onnx.GraphProto, graph);
    }
  }
  return graph;
}

interface MessageType<T> {
  decode(reader: Reader, length: number): T;
}

/**
 * Decodes the single field starting at `start` (its tag already read) with the message's generated decoder and
 * merges it into `target`: repeated fields append, others replace (protobuf's last-one-wins for scalars).
 */
function decodeFieldInto<T extends object>(reader: Reader, start: number, tag: number, type: MessageType<T>, target: T): void {
  reader.skipType(tag & 7);
  const end = reader.pos;
  reader.pos = start;
  const part = type.decode(reader, end - start) as Record<string, unknown>;
  const into = target as Record<string, unknown>;
  for (const key of Object.keys(part)) {
    const value = part[key];
    const have = into[key];
    if (Array.isArray(value) && Array.isArray(have) && Object.prototype.hasOwnProperty.call(into, key)) have.push(...(value as unknown[]));
    else into[key] = value;
  }
}
