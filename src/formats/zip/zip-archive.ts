import { stat } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { ModelError } from '../../model/errors';
import type { ByteSource } from '../../model/tensor';
import { FileRegions } from '../file-regions';
import { lazySource } from '../byte-sources';

/**
 * Read-only access to a zip archive's entries without extracting it: the central directory is read once, and an
 * entry's bytes are read on demand. Stored entries (PyTorch writes its tensors uncompressed) are served as file
 * regions, so a tensor is read straight from the archive; deflated entries are inflated whole on first read.
 * Entry names are never used as file-system paths.
 */

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflate; anything else is refused on read. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly encrypted: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A central directory bigger than this is not a model archive we should hold in memory. */
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;
/** Inflating more than this at once would take the engine's heap; big tensors are stored, not deflated. */
const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

export class ZipArchive {
  private constructor(
    private readonly regions: FileRegions,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  get file(): string {
    return this.regions.file;
  }

  /** Reads the central directory; throws a ModelError naming the file when it is not a complete zip archive. */
  static async open(path: string): Promise<ZipArchive> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (e) {
      throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const regions = new FileRegions(path, size);
    try {
      return new ZipArchive(regions, await readDirectory(regions));
    } catch (e) {
      await regions.dispose();
      throw e;
    }
  }

  /** The whole (inflated) content of an entry. */
  async bytes(entry: ZipEntry): Promise<Uint8Array> {
    const src = await this.source(entry);
    return src.read(0, src.byteLength);
  }

  /** An entry's content as a lazy ByteSource (a region of the archive when the entry is stored). */
  async source(entry: ZipEntry): Promise<ByteSource> {
    const what = `zip entry ${entry.name}`;
    if (entry.encrypted) throw new ModelError(this.file, `${what} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) throw new ModelError(this.file, `${what} uses compression method ${entry.method} (only stored and deflate are read)`);
    const local = new DataView(toBuffer(await this.regions.readAt(entry.localHeaderOffset, 30)));
    if (local.getUint32(0, true) !== LOCAL) throw new ModelError(this.file, `${what}: no local file header at byte ${entry.localHeaderOffset}`);
    const start = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    const raw = this.regions.region(start, entry.compressedSize, what);
    if (entry.method === 0) {
      if (entry.size !== entry.compressedSize) throw new ModelError(this.file, `${what} is stored but its sizes differ (${entry.compressedSize} vs ${entry.size})`);
      return raw;
    }
    if (entry.size > MAX_INFLATED_BYTES) throw new ModelError(this.file, `${what} is ${entry.size} bytes deflated; entries over ${MAX_INFLATED_BYTES} bytes are only read when stored`);
    const packed = await raw.read(0, raw.byteLength);
    return lazySource(this.file, what, entry.size, () => {
      let out: Buffer;
      try {
        out = inflateRawSync(packed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (e) {
        // The output cap is the size the header claims: a member that inflates past it is a bomb, refused unread.
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ModelError(this.file, `${what} inflates past the ${entry.size} bytes its header says`);
        throw new ModelError(this.file, `${what} is corrupt (${(e as Error).message})`);
      }
      if (out.byteLength !== entry.size) throw new ModelError(this.file, `${what} inflates to ${out.byteLength} bytes, not the ${entry.size} its header says`);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    });
  }

  dispose(): Promise<void> {
    return this.regions.dispose();
  }
}

function toBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

async function readDirectory(r: FileRegions): Promise<Map<string, ZipEntry>> {
  const notZip = (why: string) => new ModelError(r.file, `is not a complete zip archive (${why})`);
  if (r.size < 22) throw notZip(`${r.size} bytes is shorter than an end-of-directory record`);
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  const tailLength = Math.min(r.size, 22 + 0xffff + 20);
  const tailStart = r.size - tailLength;
  const tail = await r.readAt(tailStart, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.byteLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) <= tail.byteLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw notZip('no end-of-central-directory record: truncated, or not a zip file');
  let count = tv.getUint16(eocd + 10, true);
  let dirSize = tv.getUint32(eocd + 12, true);
  let dirOffset = tv.getUint32(eocd + 16, true);
  if ((count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) && eocd >= 20 && tv.getUint32(eocd - 20, true) === ZIP64_LOCATOR) {
    const z64At = Number(tv.getBigUint64(eocd - 20 + 8, true));
    const z = await r.readAt(z64At, 56).catch(() => { throw notZip('its zip64 directory record is past the end of the file'); });
    const zv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    if (zv.getUint32(0, true) !== ZIP64_EOCD) throw notZip('its zip64 locator points at no zip64 directory record');
    count = safe(zv.getBigUint64(32, true), notZip);
    dirSize = safe(zv.getBigUint64(40, true), notZip);
    dirOffset = safe(zv.getBigUint64(48, true), notZip);
  }
  if (dirSize > MAX_DIRECTORY_BYTES) throw notZip(`a ${dirSize}-byte central directory`);
  if (dirOffset + dirSize > r.size) throw notZip(`its central directory [${dirOffset}, ${dirOffset + dirSize}) is beyond the end of the file (${r.size} bytes)`);
  const dir = await r.readAt(dirOffset, dirSize);
  const dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const names = new TextDecoder('utf-8', { fatal: false });
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.byteLength || dv.getUint32(p, true) !== CENTRAL) throw notZip(`central directory entry ${i} of ${count} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > dir.byteLength) throw notZip(`central directory entry ${i} runs past the directory`);
    const name = names.decode(dir.subarray(p + 46, p + 46 + nameLength));
    // Zip64: the 32-bit fields that are all ones are in the extra field 0x0001, in this order.
    for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength;) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const next = () => { const v = safe(dv.getBigUint64(q, true), notZip); q += 8; return v; };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + len;
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset, encrypted: (flags & 1) !== 0 });
    p = end;
  }
  return entries;
}

function safe(v: bigint, fail: (why: string) => Error): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(`a size of ${v} bytes`);
  return Number(v);
}
