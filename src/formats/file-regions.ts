import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ModelError } from '../model/errors';
import type { ByteSource, FileLocation } from '../model/tensor';
import { checkRange } from './byte-sources';

/**
 * Reads file bytes [position, position + length) into out[at..at + length): fs reads may come back short for big
 * ranges, so it loops until the range is full. False when the file ends first.
 */
export async function readFully(fh: FileHandle, out: Uint8Array, at: number, length: number, position: number): Promise<boolean> {
  for (let done = 0; done < length; ) {
    const { bytesRead } = await fh.read(out, at + done, length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/**
 * Lazy reads of byte ranges of one file, for readers whose tensors sit at offsets in a file (SafeTensors, GGUF,
 * stored zip entries, TFLite buffers): the file is opened on the first read and closed by `dispose`, so opening a
 * model reads its header only.
 */
export class FileRegions {
  private handle: Promise<FileHandle> | undefined;
  private fd: number | undefined;

  /**
   * `file` is the path shown in errors; `size` the file's size, which every region must fit in; `id` (device:inode
   * when the model was opened), if given, must still be the file's on the first read, else the read is refused.
   * `blocking`: reads block the calling thread (for a worker thread that has nothing else to do meanwhile: on a
   * busy machine that beats handing each read to libuv's pool, ~15% less CPU measured on 2 cores).
   */
  constructor(readonly file: string, readonly size: number, readonly id?: string, private readonly blocking = false) {}

  /** The bytes [base, base + byteLength) of the file; throws a ModelError at once when they are past its end. */
  region(base: number, byteLength: number, what: string): ByteSource {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(byteLength) || base < 0 || byteLength < 0 || base + byteLength > this.size) {
      throw new ModelError(this.file, `${what}: bytes [${base}, ${base + byteLength}) are beyond the end of the file (${this.size} bytes)`);
    }
    return new FileRegion(this, base, byteLength, what);
  }

  /** Reads exactly `length` bytes at `position`, or throws a ModelError saying the file ended early. */
  async readAt(position: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    await this.readInto(position, length, out);
    return out;
  }

  /** As readAt, into out[0..length). */
  async readInto(position: number, length: number, out: Uint8Array): Promise<void> {
    if (this.blocking) return this.readIntoBlocking(position, length, out);
    this.handle ??= this.open();
    let fh: FileHandle;
    try {
      fh = await this.handle;
    } catch (e) {
      this.handle = undefined;
      if (e instanceof ModelError) throw e;
      throw this.cannotRead(e);
    }
    if (!(await readFully(fh, out, 0, length, position))) {
      throw this.endedEarly(position + length);
    }
  }

  private async open(): Promise<FileHandle> {
    const fh = await open(this.file, 'r');
    if (this.id === undefined) return fh;
    const s = await fh.stat().catch(() => undefined);
    if (s && `${s.dev}:${s.ino}` === this.id) return fh;
    await fh.close();
    throw this.replaced();
  }

  private replaced(): ModelError {
    return new ModelError(this.file, 'was replaced after the model was opened; reopen the model to read it');
  }

  private cannotRead(e: unknown): ModelError {
    return new ModelError(this.file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }

  private endedEarly(wanted: number): ModelError {
    return new ModelError(this.file, `ended early (wanted bytes up to ${wanted}; the file changed since it was opened?)`);
  }

  private readIntoBlocking(position: number, length: number, out: Uint8Array): void {
    if (this.fd === undefined) {
      let fd: number;
      try {
        fd = openSync(this.file, 'r');
      } catch (e) {
        throw this.cannotRead(e);
      }
      const s = fstatSync(fd);
      if (this.id !== undefined && `${s.dev}:${s.ino}` !== this.id) {
        closeSync(fd);
        throw this.replaced();
      }
      this.fd = fd;
    }
    for (let done = 0; done < length; ) {
      const n = readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw this.endedEarly(position + length);
      done += n;
    }
  }

  async dispose(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const h = this.handle;
    this.handle = undefined;
    await h?.then((fh) => fh.close(), () => undefined);
  }
}

/** One region of a FileRegions file: a class rather than closures, as a model may hold thousands of tensors. */
class FileRegion implements ByteSource {
  constructor(
    private readonly file: FileRegions,
    private readonly base: number,
    readonly byteLength: number,
    private readonly what: string,
  ) {}

  get location(): FileLocation {
    return { file: this.file.file, offset: this.base, id: this.file.id };
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.file.file, this.what, this.byteLength, offset, length);
    return this.file.readAt(this.base + offset, length);
  }

  async readInto(offset: number, length: number, target: Uint8Array): Promise<void> {
    checkRange(this.file.file, this.what, this.byteLength, offset, length);
    if (target.length < length) throw new RangeError(`readInto: ${length} bytes into a ${target.length}-byte buffer`);
    await this.file.readInto(this.base + offset, length, target);
  }
}
