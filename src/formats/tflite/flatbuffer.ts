import { ByteBuffer } from 'flatbuffers';
import { ModelError } from '../../model/errors';

/**
 * flatbuffers' JS runtime does not verify: a read past the end gives `undefined`, which its bit arithmetic turns
 * into 0, so a corrupt offset silently decodes as zeros. This ByteBuffer throws a RangeError on any read outside the
 * file instead, and `checked` turns that (or a TypeError/RangeError from a typed-array view the generated code makes)
 * into the one-line ModelError users see.
 */
export class BoundedByteBuffer extends ByteBuffer {
  private readonly size: number;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.size = bytes.length;
  }

  private guard(offset: number, n: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + n > this.size) {
      throw new RangeError(`read of ${n} bytes at offset ${offset} is outside the ${this.size}-byte flatbuffer`);
    }
  }

  override readInt8(offset: number): number { this.guard(offset, 1); return super.readInt8(offset); }
  override readUint8(offset: number): number { this.guard(offset, 1); return super.readUint8(offset); }
  override readInt16(offset: number): number { this.guard(offset, 2); return super.readInt16(offset); }
  override readUint16(offset: number): number { this.guard(offset, 2); return super.readUint16(offset); }
  override readInt32(offset: number): number { this.guard(offset, 4); return super.readInt32(offset); }
  override readUint32(offset: number): number { this.guard(offset, 4); return super.readUint32(offset); }
  override readInt64(offset: number): bigint { this.guard(offset, 8); return super.readInt64(offset); }
  override readUint64(offset: number): bigint { this.guard(offset, 8); return super.readUint64(offset); }
  override readFloat32(offset: number): number { this.guard(offset, 4); return super.readFloat32(offset); }
  override readFloat64(offset: number): number { this.guard(offset, 8); return super.readFloat64(offset); }

  /** Vector length, refused when negative or when the elements would run past the end of the file. */
  override __vector_len(offset: number): number {
    const n = super.__vector_len(offset);
    const start = this.__vector(offset);
    if (n < 0 || start + n > this.size) throw new RangeError(`vector of ${n} elements at offset ${start} runs past the ${this.size}-byte flatbuffer`);
    return n;
  }

  // A string's length word is checked like a vector's before its bytes are sliced.
  override __string(offset: number, encoding?: unknown): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const n = this.readInt32(start);
    if (n < 0 || start + 4 + n > this.size) throw new RangeError(`string of ${n} bytes at offset ${start} runs past the ${this.size}-byte flatbuffer`);
    return super.__string(offset, encoding as never);
  }
}

/** Runs an accessor of the generated code; a bad offset in the file becomes `<file>: <what> is corrupt (...)`. */
export function checked<T>(file: string, what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) {
      throw new ModelError(file, `is not a valid TFLite file: ${what} is corrupt (${e.message})`);
    }
    throw e;
  }
}

/**
 * Element count of a vector whose elements are `elementBytes` wide, refused when the vector cannot fit in the file:
 * the bound every loop and allocation sized by a count from the file goes through.
 */
export function vectorCount(file: string, what: string, fileSize: number, elementBytes: number, count: () => number): number {
  const n = checked(file, what, count);
  if (!Number.isSafeInteger(n) || n < 0 || n * elementBytes > fileSize) {
    throw new ModelError(file, `is not a valid TFLite file: ${what} claims ${n} entries, more than the file (${fileSize} bytes) can hold`);
  }
  return n;
}
