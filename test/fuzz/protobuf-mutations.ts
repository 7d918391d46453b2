import type { Prng } from './prng';

/**
 * Byte-level mutations that understand protobuf's wire format just enough to hit the decoder where it hurts:
 * length prefixes and varints. (A fuzzing tool, not a model decoder: models are read with onnx-proto.)
 */

interface Field {
  /** Offset of the key varint. */
  start: number;
  /** Offset and byte count of the length varint (length-delimited fields only). */
  lenAt?: number;
  lenBytes?: number;
  /** Offset where the field's value starts. */
  valueAt: number;
  wireType: number;
}

function readVarint(b: Uint8Array, at: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && at + i < b.length; i++) {
    const byte = b[at + i];
    value += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
  }
  return undefined;
}

/** Top-level and (recursively, to a small depth) nested length-delimited fields of a protobuf message. */
export function scanFields(b: Uint8Array, from = 0, to = b.length, depth = 0, out: Field[] = []): Field[] {
  let at = from;
  while (at < to && out.length < 5000) {
    const key = readVarint(b, at);
    if (!key || key.value === 0) break;
    const wireType = key.value & 7;
    const start = at;
    at += key.bytes;
    if (wireType === 0) {
      const v = readVarint(b, at);
      if (!v) break;
      out.push({ start, valueAt: at, wireType });
      at += v.bytes;
    } else if (wireType === 1) {
      out.push({ start, valueAt: at, wireType });
      at += 8;
    } else if (wireType === 5) {
      out.push({ start, valueAt: at, wireType });
      at += 4;
    } else if (wireType === 2) {
      const len = readVarint(b, at);
      if (!len || at + len.bytes + len.value > to) break;
      out.push({ start, lenAt: at, lenBytes: len.bytes, valueAt: at + len.bytes, wireType });
      const inner = at + len.bytes;
      at = inner + len.value;
      if (depth < 4 && len.value > 2) scanFields(b, inner, at, depth + 1, out);
    } else break;
  }
  return out;
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function splice(b: Uint8Array, at: number, remove: number, insert: number[]): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

export type Mutation = (b: Uint8Array, rng: Prng) => { bytes: Uint8Array; what: string };

export const truncate: Mutation = (b, rng) => {
  const at = rng.int(b.length);
  return { bytes: b.slice(0, at), what: `truncated at ${at}/${b.length}` };
};

export const bitFlips: Mutation = (b, rng) => {
  const out = b.slice();
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
  return { bytes: out, what: `${n} bit flips` };
};

/** Rewrites one length prefix to a too-large, zero or huge value. */
export const corruptLength: Mutation = (b, rng) => {
  const fields = scanFields(b).filter((f) => f.lenAt !== undefined);
  if (!fields.length) return bitFlips(b, rng);
  const f = rng.pick(fields);
  const choice = rng.pick([0, 1, 2]);
  const value = choice === 0 ? 0 : choice === 1 ? b.length * 2 : 2 ** 35 - 1;
  return { bytes: splice(b, f.lenAt!, f.lenBytes!, encodeVarint(value)), what: `length at ${f.lenAt} set to ${value}` };
};

/** Overlong or huge varints where a varint value stands (dims, offsets, enums). */
export const corruptVarint: Mutation = (b, rng) => {
  const fields = scanFields(b).filter((f) => f.wireType === 0);
  if (!fields.length) return bitFlips(b, rng);
  const f = rng.pick(fields);
  const old = readVarint(b, f.valueAt)!;
  const choice = rng.int(3);
  const insert = choice === 0 ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01] // -1 as int64
    : choice === 1 ? encodeVarint(2 ** 40) : [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80];
  return { bytes: splice(b, f.valueAt, old.bytes, insert), what: `varint at ${f.valueAt} -> ${['-1', '2^40', 'overlong'][choice]}` };
};

export const protobufMutations: readonly Mutation[] = [truncate, bitFlips, corruptLength, corruptVarint];
