import { ModelError } from '../model/errors';
import type { ByteSource } from '../model/tensor';

/** Rejects reads outside [0, byteLength): a caller bug or a lying file, either way never a silent short read. */
export function checkRange(file: string, what: string, byteLength: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > byteLength) {
    throw new ModelError(file, `read of [${offset}, ${offset + length}) is outside ${what} (${byteLength} bytes)`);
  }
}

/** Bytes already in memory (raw_data is a view into the file buffer): reads are subarray views, never copies. */
export function memorySource(file: string, what: string, buf: Uint8Array): ByteSource {
  // A plain Uint8Array view even when protobufjs hands us a Buffer slice, so every reader returns one type.
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    byteLength: bytes.byteLength,
    read(offset, length) {
      try {
        checkRange(file, what, bytes.byteLength, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

/** Bytes built on first read (typed fields → little-endian bytes; sparse → dense), then served as views. */
export function lazySource(file: string, what: string, byteLength: number, build: () => Uint8Array): ByteSource {
  let bytes: Uint8Array | undefined;
  return {
    byteLength,
    read(offset, length) {
      try {
        checkRange(file, what, byteLength, offset, length);
        bytes ??= build();
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}
