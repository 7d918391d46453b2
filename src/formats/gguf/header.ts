import { ModelError } from '../../model/errors';

/**
 * The GGUF header (v2/v3): "GGUF", u32 version, u64 tensor count, u64 key/value count, the key/value pairs, the
 * tensor infos, then the data section at the next multiple of general.alignment. Every count and length is
 * checked against the bytes left in the file before anything is allocated for it.
 */

export type GgufValue = number | bigint | boolean | string | GgufArray;
/** Arrays are summarised, never kept: a vocabulary is 100k+ strings. */
export interface GgufArray {
  readonly array: true;
  readonly elementType: number;
  readonly count: number;
}

export interface GgufTensorInfo {
  readonly name: string;
  /** As stored: innermost dimension first. */
  readonly dims: number[];
  readonly type: number;
  /** Relative to the data section. */
  readonly offset: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly kv: Map<string, GgufValue>;
  readonly tensors: GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute offset of the data section. */
  readonly dataStart: number;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

/** Thrown by the parser when the bytes read so far end inside the header; the caller reads more and retries. */
export class NeedMore {
  constructor(readonly want: number) {}
}

const T_U8 = 0, T_I8 = 1, T_U16 = 2, T_I16 = 3, T_U32 = 4, T_I32 = 5, T_F32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_U64 = 10, T_I64 = 11, T_F64 = 12;
/** Fixed sizes of the scalar value types (strings and arrays are at least 8 bytes: their length). */
const SCALAR_BYTES: Record<number, number> = { [T_U8]: 1, [T_I8]: 1, [T_U16]: 2, [T_I16]: 2, [T_U32]: 4, [T_I32]: 4, [T_F32]: 4, [T_BOOL]: 1, [T_U64]: 8, [T_I64]: 8, [T_F64]: 8 };
const MAX_DIMS = 4; // GGML_MAX_DIMS
const MAX_ARRAY_NESTING = 4;

class Cursor {
  pos = 0;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8');
  constructor(
    private readonly path: string,
    private readonly buf: Uint8Array,
    /** Size of the whole file: lengths past it are corrupt, lengths past `buf` only need more bytes. */
    private readonly size: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(problem: string): never {
    throw new ModelError(this.path, problem);
  }
  /** Makes sure n more bytes are there; `what` names the field in the error when the file ends first. */
  need(n: number, what: string): void {
    if (this.pos + n > this.size) this.fail(`${what} at byte ${this.pos} runs past the end of the file (${this.size} bytes): truncated or not GGUF`);
    if (this.pos + n > this.buf.length) throw new NeedMore(this.pos + n);
  }
  left(): number {
    return this.size - this.pos;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A u64 that must be a count or size below `max` (bytes left in the file, usually); no BigInt on this hot path. */
  count(what: string, max: number): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    const v = hi * 4294967296 + lo;
    if (hi >= 0x200000 || v > max) this.fail(`${what} ${hi >= 0x200000 ? this.view.getBigUint64(this.pos, true) : v} is impossible: only ${this.left() - 8} bytes are left in the file`);
    this.pos += 8;
    return v;
  }
  string(what: string): string {
    const n = this.count(`${what} length`, this.left() - 8);
    this.need(n, what);
    const s = this.utf8.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  skipString(what: string): void {
    const n = this.count(`${what} length`, this.left() - 8);
    this.pos += n;
    if (this.pos > this.buf.length) throw new NeedMore(this.pos);
  }
  /** `count` strings (a vocabulary): the lengths walked in one tight loop, each checked against the file size. */
  skipStrings(count: number, what: string): void {
    const { view, size } = this;
    const end = this.buf.length;
    let p = this.pos;
    for (let i = 0; i < count; i++) {
      if (p + 8 > end) {
        this.pos = p;
        this.need(8, `${what} length`);
      }
      const len = view.getUint32(p, true);
      if (view.getUint32(p + 4, true) !== 0 || len > size - p - 8) {
        this.pos = p;
        this.count(`${what} length`, size - p - 8); // throws with the message
      }
      p += 8 + len;
    }
    this.pos = p;
    if (p > end) throw new NeedMore(p);
  }
  scalar(type: number, what: string): number | bigint | boolean {
    const size = SCALAR_BYTES[type];
    this.need(size, what);
    const p = this.pos;
    this.pos += size;
    const v = this.view;
    switch (type) {
      case T_U8: return v.getUint8(p);
      case T_I8: return v.getInt8(p);
      case T_U16: return v.getUint16(p, true);
      case T_I16: return v.getInt16(p, true);
      case T_U32: return v.getUint32(p, true);
      case T_I32: return v.getInt32(p, true);
      case T_F32: return shortestFloat32(v.getFloat32(p, true));
      case T_BOOL: return v.getUint8(p) !== 0;
      case T_U64: return safe(v.getBigUint64(p, true));
      case T_I64: return safe(v.getBigInt64(p, true));
      default: return v.getFloat64(p, true);
    }
  }
  value(type: number, what: string, depth = 0): GgufValue {
    if (type === T_STRING) return this.string(what);
    if (type === T_ARRAY) {
      if (depth >= MAX_ARRAY_NESTING) this.fail(`${what}: arrays nested deeper than ${MAX_ARRAY_NESTING}`);
      const elementType = this.u32(`${what} element type`);
      const min = elementType === T_STRING || elementType === T_ARRAY ? 8 : SCALAR_BYTES[elementType];
      if (!min) this.fail(`${what}: unknown array element type ${elementType}`);
      const count = this.count(`${what} element count`, Math.floor(this.left() / min));
      if (elementType === T_STRING) this.skipStrings(count, what);
      else if (elementType === T_ARRAY) for (let i = 0; i < count; i++) this.value(T_ARRAY, what, depth + 1);
      else {
        this.need(count * min, what);
        this.pos += count * min;
      }
      return { array: true, elementType, count };
    }
    if (!SCALAR_BYTES[type]) this.fail(`${what}: unknown value type ${type}`);
    return this.scalar(type, what);
  }
}

/** The shortest decimal that reads back as the same float32 (1e-5, not 0.000009999999747378752). */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits < 9; digits++) {
    const y = Number(x.toPrecision(digits));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

/** Exact as a number when it fits, else the bigint. */
const safe = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

const shorten = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/**
 * The header parse, resumable: when the bytes run out it throws NeedMore, and `parse` with a longer buffer (the same
 * bytes plus more) goes on from the last whole key/value pair or tensor info instead of from the start.
 */
class HeaderParser {
  private pos = 0;
  private version = 0;
  private tensorCount = -1;
  private kvCount = -1;
  private readonly kv = new Map<string, GgufValue>();
  private readonly tensors: GgufTensorInfo[] = [];

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {}

  parse(buf: Uint8Array): GgufHeader {
    const { size } = this;
    const c = new Cursor(this.path, buf, size);
    c.pos = this.pos;
    if (this.tensorCount < 0) {
      if (size < 4 || (buf.length >= 4 && new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true) !== GGUF_MAGIC)) {
        c.fail('does not start with the GGUF magic ("GGUF"): not a GGUF file');
      }
      c.pos = 4;
      const version = c.u32('version');
      if (version === 1) c.fail('is GGUF version 1 (2023 pre-release); re-convert it with a current llama.cpp');
      if (version !== 2 && version !== 3) c.fail(`GGUF version ${version} is not supported (versions 2 and 3 are)`);
      // Each tensor info takes at least 8 (name length) + 4 (n_dims) + 4 (type) + 8 (offset) bytes; each pair 8 + 4 + 1.
      const tensorCount = c.count('tensor count', Math.floor((size - 24) / 24));
      const kvCount = c.count('key/value count', Math.floor((size - 24) / 13));
      Object.assign(this, { version, tensorCount, kvCount, pos: c.pos });
    }
    const { kv, tensors } = this;
    while (kv.size < this.kvCount) {
      const i = kv.size;
      const key = c.string(`key ${i}`);
      const type = c.u32(`type of "${shorten(key)}"`);
      const value = c.value(type, `value of "${shorten(key)}"`);
      if (kv.has(key)) c.fail(`key "${shorten(key)}" appears twice`);
      kv.set(key, value);
      this.pos = c.pos;
    }
    while (tensors.length < this.tensorCount) {
      const name = c.string(`name of tensor ${tensors.length}`);
      const what = `tensor "${shorten(name)}"`;
      const nDims = c.u32(`${what} rank`);
      if (nDims > MAX_DIMS) c.fail(`${what} has ${nDims} dimensions (GGML allows at most ${MAX_DIMS})`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) {
        const v = c.u64(`${what} dimension ${d}`);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`${what} dimension ${d} is ${v}, too large to be real`);
        dims.push(Number(v));
      }
      const type = c.u32(`${what} type`);
      const offset = c.u64(`${what} offset`);
      if (offset > BigInt(size)) c.fail(`${what} offset ${offset} is past the end of the file (${size} bytes)`);
      tensors.push({ name, dims, type, offset: Number(offset) });
      this.pos = c.pos;
    }
    const a = kv.get('general.alignment');
    let alignment = 32;
    if (a !== undefined) {
      if (typeof a !== 'number' || !Number.isInteger(a) || a <= 0 || a > 1 << 20 || (a & (a - 1)) !== 0) c.fail(`general.alignment ${String(a).slice(0, 40)} is not a power of two up to 1 MiB`);
      alignment = a as number;
    }
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    return { version: this.version, kv, tensors, alignment, dataStart };
  }
}

/** Parses the header from `buf` (the first bytes of a file of `size` bytes); throws NeedMore when buf ends too soon. */
export function parseGgufHeader(path: string, buf: Uint8Array, size: number): GgufHeader {
  return new HeaderParser(path, size).parse(buf);
}

/** Bytes of a header any real model has; past this a file is hostile or not GGUF. */
export const MAX_GGUF_HEADER = 512 * 1024 * 1024;

/**
 * Reads the header with as few bytes as it needs: 256 KiB first, then the bytes after them, doubling, with the parse
 * going on where it stopped (a 128k-token vocabulary is read and walked once).
 */
export function readGgufHeader(path: string, size: number, readAt: (pos: number, len: number) => Uint8Array): GgufHeader {
  const parser = new HeaderParser(path, size);
  let buf = readAt(0, Math.min(size, 1024 * 1024));
  for (;;) {
    try {
      return parser.parse(buf);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      if (buf.length >= Math.min(size, MAX_GGUF_HEADER)) throw new ModelError(path, `header is larger than ${MAX_GGUF_HEADER / 1024 / 1024} MB`);
      const n = Math.min(size, MAX_GGUF_HEADER, Math.max(2 * buf.length, e.want + 64 * 1024));
      const more = new Uint8Array(n);
      more.set(buf);
      more.set(readAt(buf.length, n - buf.length), buf.length);
      buf = more;
    }
  }
}
