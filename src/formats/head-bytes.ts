/** What readers check a file's first bytes for, and how they tell users what those bytes were instead. */

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];

export const startsWith = (head: Uint8Array, magic: readonly number[], at = 0): boolean =>
  head.byteLength >= at + magic.length && magic.every((b, i) => head[at + i] === b);

export const isZip = (head: Uint8Array): boolean => startsWith(head, ZIP_LOCAL_HEADER);

/** The name of a zip's first entry, when its local header lies in the head. */
export function firstZipEntry(head: Uint8Array): { name: string; extra: Uint8Array } | undefined {
  if (!isZip(head) || head.byteLength < 30) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const nameLength = view.getUint16(26, true);
  const extraLength = view.getUint16(28, true);
  if (30 + nameLength + extraLength > head.byteLength) return undefined;
  return {
    name: new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(30, 30 + nameLength)),
    extra: head.subarray(30 + nameLength, 30 + nameLength + extraLength),
  };
}

/** "it begins 68 65 6c 6c 6f 2c 20 74 ("hello, t")": the first 8 bytes, as hex and as text where printable. */
export function describeHead(head: Uint8Array): string {
  const first = head.subarray(0, 8);
  const hex = Array.from(first, (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = Array.from(first, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  const printable = first.filter((b) => b >= 0x20 && b < 0x7f).length;
  return `it begins ${hex}${printable * 2 >= first.length && first.length ? ` ("${text}")` : ''}`;
}
