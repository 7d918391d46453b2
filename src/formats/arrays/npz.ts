import { inflateRawSync } from 'node:zlib';
import { ModelError } from '../../model/errors';
import type { NdArray } from './ndarray';
import { parseNpy } from './npy';

// An .npz is a zip of .npy members (np.savez / np.savez_compressed). We read the central directory for names and
// sizes (numpy writes zip64 local headers, so local sizes are not trustworthy) and inflate deflated members with zlib.

const EOCD_SIG = 0x06054b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Members in archive order, each named without its ".npy" suffix (the name np.savez gave the array). */
export function parseNpz(file: string, bytes: Uint8Array): { name: string; array: NdArray }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ModelError(file, 'is not a valid .npz (zip end-of-directory record not found)');
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out: { name: string; array: NdArray }[] = [];
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CDIR_SIG) throw new ModelError(file, 'has a corrupt zip central directory');
    const method = view.getUint16(p + 10, true);
    let compSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field (id 1) carries the real values of fields saturated at 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = Number(view.getBigUint64(q, true));
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = Number(view.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;
    if (localOffset + 30 > bytes.length || view.getUint32(localOffset, true) !== LOCAL_SIG) {
      throw new ModelError(file, `has a corrupt zip entry for ${name}`);
    }
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compSize > bytes.length) throw new ModelError(file, `is truncated inside ${name}`);
    const stored = bytes.subarray(dataStart, dataStart + compSize);
    let member: Uint8Array;
    if (method === 0) member = stored;
    else if (method === 8) {
      try {
        member = inflateRawSync(stored);
      } catch (err) {
        throw new ModelError(file, `cannot inflate ${name} (${(err as Error).message})`);
      }
    } else throw new ModelError(file, `uses zip compression method ${method} for ${name}; only stored and deflate are supported`);
    if (member.length !== size) throw new ModelError(file, `has a size mismatch in ${name}`);
    if (!name.endsWith('.npy')) continue;
    out.push({ name: name.slice(0, -4), array: parseNpy(`${file}[${name}]`, member) });
  }
  return out;
}
