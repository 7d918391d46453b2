import type { ShardGroup } from './shards';

/** More string elements than this in one weight is not a vocabulary but a broken manifest. */
const MAX_STRINGS = 2 ** 24;
const CHUNK = 64 * 1024;

/**
 * Byte size of a string weight starting at `start`: TF.js stores each element as a uint32 LE length and then
 * its bytes, so the size (and every later offset in the group) is only known by walking the lengths.
 * Reads in 64 KiB chunks and never reads the string bytes themselves when they can be skipped. Lengths that run past
 * the group's shards throw the group's short-shard error.
 */
export async function stringWeightBytes(shards: ShardGroup, start: number, count: number): Promise<number | { problem: string }> {
  if (count > MAX_STRINGS) return { problem: `string weight has ${count} elements (over 2^24); not read` };
  const end = shards.readableBytes;
  let buf: Uint8Array = new Uint8Array(0);
  let bufStart = start;
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) throw shards.shortError(at + 4);
    if (at < bufStart || at + 4 > bufStart + buf.length) {
      bufStart = at;
      buf = await shards.read(at, Math.min(end - at, CHUNK));
    }
    const o = at - bufStart;
    at += 4 + new DataView(buf.buffer, buf.byteOffset + o, 4).getUint32(0, true);
  }
  if (at > end) throw shards.shortError(at);
  return at - start;
}

/** A string weight's stored bytes → its elements (UTF-8; TF.js keeps raw bytes, most are text). */
export function decodeTfjsStrings(bytes: Uint8Array): string[] {
  const out: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  for (let at = 0; at + 4 <= bytes.byteLength; ) {
    const len = view.getUint32(at, true);
    out.push(text.decode(bytes.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
  return out;
}
