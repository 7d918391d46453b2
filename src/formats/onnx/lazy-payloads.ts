import { open, type FileHandle } from 'node:fs/promises';
import { ModelError } from '../../model/errors';
import type { ByteSource } from '../../model/tensor';
import { FileRegions, readFully } from '../file-regions';

/**
 * Initializer raw_data payloads this big or bigger stay on disk until a tensor's bytes are read; smaller ones are
 * read with the structure (one sequential read beats many small ones later).
 */
export const LAZY_PAYLOAD_BYTES = 64 * 1024;

/** protobuf's own limit: protobufjs (and every ONNX writer) cannot go past it. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

/** The walk met something it does not follow (a group, a length past its parent): the file is read whole. */
class Bail extends Error {}

/**
 * An ONNX file read for decoding without its big weights. The image has the file's size and layout, so the decoder,
 * its errors and their byte offsets are exactly those of a whole-file read; but the raw_data payloads of the main
 * graph's initializers (LAZY_PAYLOAD_BYTES or more) are left unread. Their pages of the image are never touched, so
 * they cost neither time nor memory, and a tensor's bytes are read from the file when asked for (`source`). Opening
 * a 350 MB model then reads kilobytes; comparing or scanning its weights reads each byte once.
 */
export class OnnxImage {
  private constructor(
    readonly bytes: Buffer,
    private readonly lazy: ReadonlyMap<number, number>,
    private readonly regions: FileRegions,
  ) {}

  /** Reads path's structure (and small payloads); throws a ModelError naming the file when it cannot. */
  static async read(path: string, signal?: AbortSignal): Promise<OnnxImage> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      const s = await fh.stat();
      if (s.size > MAX_PROTO_BYTES) {
        throw new ModelError(path, 'is larger than 2 GiB, which protobuf cannot hold (large ONNX models keep weights in external data)');
      }
      let lazy: Map<number, number>;
      try {
        lazy = await lazyPayloads(fh, s.size, signal);
      } catch (e) {
        if (!(e instanceof Bail)) throw e;
        lazy = new Map();
      }
      // Large sizes come from mmap'd memory that the kernel zero-fills on first touch: skipped pages stay untouched.
      const bytes = Buffer.allocUnsafe(s.size);
      let pos = 0;
      for (const [at, length] of [...lazy].sort((a, b) => a[0] - b[0])) {
        await readRange(fh, path, bytes, pos, at, signal);
        pos = at + length;
      }
      await readRange(fh, path, bytes, pos, s.size, signal);
      return new OnnxImage(bytes, lazy, new FileRegions(path, s.size, `${s.dev}:${s.ino}`));
    } finally {
      await fh.close();
    }
  }

  /** A file-backed source for a raw_data view that was left unread, or undefined when its bytes are in the image. */
  source(raw: Uint8Array, what: string): ByteSource | undefined {
    if (raw.buffer !== this.bytes.buffer) return undefined;
    const at = raw.byteOffset - this.bytes.byteOffset;
    if (this.lazy.get(at) !== raw.byteLength) return undefined;
    return this.regions.region(at, raw.byteLength, what);
  }

  /** How many payload bytes were left on disk (for tests and the open's cost). */
  get lazyBytes(): number {
    let n = 0;
    for (const length of this.lazy.values()) n += length;
    return n;
  }

  dispose(): Promise<void> {
    return this.regions.dispose();
  }
}

/** Reads file bytes [from, to) into the image at the same offsets (16 MB at a time, so a cancel is heard). */
async function readRange(fh: FileHandle, path: string, image: Buffer, from: number, to: number, signal?: AbortSignal): Promise<void> {
  for (let pos = from; pos < to; pos += 16 << 20) {
    signal?.throwIfAborted();
    const n = Math.min(to - pos, 16 << 20);
    if (!(await readFully(fh, image, pos, n, pos))) throw new ModelError(path, `ended early while being read (wanted ${to} bytes; it changed while opening?)`);
  }
}

/**
 * Where the big initializer payloads are: ModelProto.graph (field 7) → GraphProto.initializer (field 5) →
 * TensorProto.raw_data (field 9). Only tags and lengths are read, through a small window; every other field is
 * stepped over by its length. Map: payload's file offset → its length.
 */
async function lazyPayloads(fh: FileHandle, size: number, signal?: AbortSignal): Promise<Map<number, number>> {
  const w = new Window(fh, size);
  const lazy = new Map<number, number>();
  const fields = async (from: number, to: number, visit: (field: number, at: number, length: number) => Promise<void> | void) => {
    let pos = from;
    while (pos < to) {
      const tag = await w.varint(pos);
      pos = tag.next;
      const field = Math.floor(tag.value / 8);
      switch (tag.value % 8) {
        case 0: pos = (await w.varint(pos)).next; break;
        case 1: pos += 8; break;
        case 5: pos += 4; break;
        case 2: {
          const len = await w.varint(pos);
          pos = len.next + len.value;
          if (pos > to) throw new Bail();
          await visit(field, len.next, len.value);
          break;
        }
        default: throw new Bail(); // groups (3, 4) and invalid wire types: the decoder will say what is wrong
      }
      if (pos > to) throw new Bail();
    }
  };
  await fields(0, size, async (field, at, length) => {
    if (field !== 7) return;
    await fields(at, at + length, async (gfield, tat, tlength) => {
      if (gfield !== 5) return;
      signal?.throwIfAborted();
      await fields(tat, tat + tlength, (tfield, pat, plength) => {
        if (tfield === 9 && plength >= LAZY_PAYLOAD_BYTES) lazy.set(pat, plength);
      });
    });
  });
  return lazy;
}

/** Sequential small reads of a file through one 64 KiB buffer. */
class Window {
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  private base = 0;
  private length = 0;

  constructor(private readonly fh: FileHandle, private readonly size: number) {}

  /** The varint at pos (at most 10 bytes; values past 2^53 are not lengths any file has). */
  async varint(pos: number): Promise<{ value: number; next: number }> {
    if (pos < this.base || pos + 10 > this.base + this.length) await this.fill(pos);
    let value = 0;
    let scale = 1;
    for (let i = pos - this.base; i < this.length && i < pos - this.base + 10; i++) {
      const b = this.buf[i];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return { value, next: this.base + i + 1 };
    }
    throw new Bail();
  }

  private async fill(pos: number): Promise<void> {
    if (pos >= this.size) throw new Bail();
    this.base = pos;
    const { bytesRead } = await this.fh.read(this.buf, 0, Math.min(this.buf.length, this.size - pos), pos);
    this.length = bytesRead;
  }
}
