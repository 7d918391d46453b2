// Helpers for the PyTorch tests: the committed fixtures and their truth, and a minimal zip writer (stored entries,
// as torch writes them) to build damaged and hostile archives from real ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZipArchive } from '../../src/formats/zip/zip-archive';

export const FIXTURES = join(__dirname, '../fixtures/pytorch');

export interface TruthTensor {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  storedDType?: string;
  quantization?: { scale: number[]; zeroPoint: number[]; axis?: number };
  values?: number[];
  min?: number;
  max?: number;
  histogram?: { edges: number[]; counts: number[]; nearEdge: number[] };
}
export interface TruthFile {
  format: string;
  torchScript: boolean;
  /** Written in the pre-1.6 (non-zip) format. */
  legacy?: boolean;
  storages: number;
  tensors: TruthTensor[];
  parameterCount: number;
  scalars: Record<string, string | number>;
}
export const truth = JSON.parse(readFileSync(join(FIXTURES, 'truth.json'), 'utf8')) as { bins: number; files: Record<string, TruthFile> };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of stored entries, in the given order. */
export function zipOf(entries: [string, Uint8Array][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(data.byteLength, 18);
    h.writeUInt32LE(data.byteLength, 22);
    h.writeUInt16LE(n.byteLength, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.byteLength, 20);
    c.writeUInt32LE(data.byteLength, 24);
    c.writeUInt16LE(n.byteLength, 28);
    c.writeUInt32LE(offset, 42);
    locals.push(h, n, Buffer.from(data));
    central.push(c, n);
    offset += 30 + n.byteLength + data.byteLength;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** The entries of a real archive, in order, with their bytes. */
export async function entriesOf(path: string): Promise<[string, Uint8Array][]> {
  const zip = await ZipArchive.open(path);
  try {
    const out: [string, Uint8Array][] = [];
    for (const e of zip.entries.values()) out.push([e.name, Uint8Array.from(await zip.bytes(e))]);
    return out;
  } finally {
    await zip.dispose();
  }
}

/** IEEE half to double, written here so the test does not lean on the stats module's decoder. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Real values of quantized integers: (q - zeroPoint[c]) * scale[c], c the index along the axis. */
export function dequantized(q: number[], shape: number[], p: NonNullable<TruthTensor['quantization']>): number[] {
  if (p.axis === undefined) return q.map((x) => (x - p.zeroPoint[0]) * p.scale[0]);
  const inner = shape.slice(p.axis + 1).reduce((a, b) => a * b, 1);
  return q.map((x, i) => {
    const c = Math.floor(i / inner) % shape[p.axis!];
    return (x - p.zeroPoint[c]) * p.scale[c];
  });
}

/** A tensor's bytes (row-major, little-endian) as numbers, decoded independently of the reader. */
export function decode(dtype: string, b: Uint8Array, count: number): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at: Record<string, (i: number) => number> = {
    float32: (i) => dv.getFloat32(i * 4, true),
    float64: (i) => dv.getFloat64(i * 8, true),
    float16: (i) => halfToNumber(dv.getUint16(i * 2, true)),
    int64: (i) => Number(dv.getBigInt64(i * 8, true)),
    int32: (i) => dv.getInt32(i * 4, true),
    bool: (i) => b[i],
    uint8: (i) => b[i],
    int8: (i) => dv.getInt8(i),
  };
  return Array.from({ length: count }, (_, i) => at[dtype](i));
}
