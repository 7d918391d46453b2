import { ModelError } from '../../model/errors';
import { crc32c, maskCrc } from './crc32c';

/**
 * Reader of LevelDB-format tables (TF's tensor bundle index is one): a footer at the end with the handles of the
 * metaindex and index blocks and the magic number; the index block maps separator keys to data block handles; every
 * block is prefix-compressed key/value entries followed by restart offsets, and is stored with a 5-byte trailer
 * (compression type, masked CRC-32C of the contents and type).
 */

export interface TableEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

const FOOTER = 48;
const TRAILER = 5;
const MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]; // 0xdb4775248b80fb57, little-endian

interface Handle {
  offset: number;
  size: number;
}

/** All entries of the table in `buf`, in stored order. Every offset and length is checked against the buffer. */
export function readTable(file: string, buf: Uint8Array): TableEntry[] {
  const fail = (problem: string) => new ModelError(file, problem);
  if (buf.length < FOOTER) throw fail(`is ${buf.length} bytes, too short for a checkpoint index (a LevelDB table ends with a ${FOOTER}-byte footer)`);
  const footerAt = buf.length - FOOTER;
  for (let i = 0; i < 8; i++) {
    if (buf[buf.length - 8 + i] !== MAGIC[i]) throw fail('is not a checkpoint index: the LevelDB table magic number at its end is wrong (truncated or not a TF tensor bundle)');
  }
  const cur = { pos: footerAt };
  const footerEnd = footerAt + 40;
  readHandle(buf, cur, footerEnd, fail, 'footer'); // metaindex: TF writes it empty and nothing here needs it
  const indexHandle = readHandle(buf, cur, footerEnd, fail, 'footer');
  const index = parseBlock(readBlock(buf, indexHandle, footerAt, fail, 'the index block'), fail, 'the index block');
  const out: TableEntry[] = [];
  index.forEach((e, i) => {
    const p = { pos: 0 };
    const h = readHandle(e.value, p, e.value.length, fail, `index entry ${i}`);
    out.push(...parseBlock(readBlock(buf, h, footerAt, fail, `data block ${i}`), fail, `data block ${i}`));
  });
  return out;
}

function readBlock(buf: Uint8Array, h: Handle, limit: number, fail: (p: string) => ModelError, what: string): Uint8Array {
  if (h.offset + h.size + TRAILER > limit) {
    throw fail(`${what} (bytes ${h.offset}..${h.offset + h.size + TRAILER}) runs past the table's data (${limit} bytes before the footer)`);
  }
  const contents = buf.subarray(h.offset, h.offset + h.size);
  const type = buf[h.offset + h.size];
  const stored = readU32(buf, h.offset + h.size + 1);
  const actual = maskCrc(crc32c(buf.subarray(h.offset, h.offset + h.size + 1)));
  if (stored !== actual) throw fail(`${what} at byte ${h.offset} fails its CRC-32C check (corrupt file)`);
  if (type === 1) throw fail(`${what} is snappy-compressed, which Model Inspector does not decode (TF writes tensor bundle indexes uncompressed)`);
  if (type !== 0) throw fail(`${what} has unknown compression type ${type}`);
  return contents;
}

function parseBlock(block: Uint8Array, fail: (p: string) => ModelError, what: string): TableEntry[] {
  if (block.length < 4) throw fail(`${what} is ${block.length} bytes, too short to hold its restart count`);
  const restarts = readU32(block, block.length - 4);
  if (restarts * 4 + 4 > block.length) throw fail(`${what} claims ${restarts} restart points, more than its ${block.length} bytes hold`);
  const end = block.length - 4 - restarts * 4;
  const out: TableEntry[] = [];
  const cur = { pos: 0 };
  let prev = new Uint8Array(0);
  while (cur.pos < end) {
    const shared = readVarint(block, cur, end, fail, what);
    const own = readVarint(block, cur, end, fail, what);
    const valueLength = readVarint(block, cur, end, fail, what);
    if (shared > prev.length) throw fail(`${what}: an entry shares ${shared} bytes with a ${prev.length}-byte previous key`);
    if (cur.pos + own + valueLength > end) throw fail(`${what}: an entry at byte ${cur.pos} runs past the block's end`);
    const key = new Uint8Array(shared + own);
    key.set(prev.subarray(0, shared));
    key.set(block.subarray(cur.pos, cur.pos + own), shared);
    cur.pos += own;
    out.push({ key, value: block.subarray(cur.pos, cur.pos + valueLength) });
    cur.pos += valueLength;
    prev = key;
  }
  return out;
}

function readHandle(buf: Uint8Array, cur: { pos: number }, end: number, fail: (p: string) => ModelError, what: string): Handle {
  return { offset: readVarint(buf, cur, end, fail, what), size: readVarint(buf, cur, end, fail, what) };
}

/** A varint up to 2^53 (block offsets and lengths; a bigger one cannot point inside a file we could read). */
function readVarint(buf: Uint8Array, cur: { pos: number }, end: number, fail: (p: string) => ModelError, what: string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (cur.pos >= end) throw fail(`${what}: a varint runs past its end`);
    const b = buf[cur.pos++];
    value += (b & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) throw fail(`${what}: a varint is larger than 2^53`);
    if (b < 0x80) return value;
    scale *= 128;
  }
  throw fail(`${what}: a varint is longer than 10 bytes`);
}

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}
