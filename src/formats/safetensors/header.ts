import { readSync } from 'node:fs';
import { withFileSync } from '../sync-file';
import type { DType } from '../../model/dtype';
import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { OpenHead } from '../descriptor';

/** A header is JSON describing tensors; real ones are a few hundred KB. Anything past this is not a header. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** SafeTensors dtype names → the IR's. Types not listed here still open, with a `problem` on their tensors. */
const DTYPES: Readonly<Record<string, DType>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  F8_E4M3: 'float8e4m3fn', F8_E5M2: 'float8e5m2',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8',
  BOOL: 'bool',
};

export interface SafetensorsEntry {
  readonly name: string;
  /** As written in the header ("BF16"). */
  readonly stored: string;
  /** The IR dtype; 'unknown' for a type we do not map. */
  readonly dtype: DType;
  readonly shape: number[];
  readonly elementCount: number;
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
  readonly problem?: string;
}

export interface SafetensorsHeader {
  readonly entries: SafetensorsEntry[];
  readonly metadata: Record<string, string>;
  /** File size, from the one stat taken while opening. */
  readonly size: number;
}

/**
 * Reads and checks the header of one .safetensors file: 8 bytes of little-endian length N, then N bytes of JSON.
 * Only those bytes are read (plus one fstat); every offset is checked against the file size here, so a later read
 * of tensor bytes cannot run past the end.
 */
export async function readSafetensorsHeader(path: string, head?: OpenHead): Promise<SafetensorsHeader> {
  // The registry's descriptor, already open (its first bytes read): the rest of the header comes from it.
  if (head) return headerFrom(path, head.size, (into, position) => {
    if (position + into.length <= head.bytes.length) into.set(head.bytes.subarray(position, position + into.length));
    else into.set(head.read(position, into.length));
  });
  // Synchronous on purpose: a stat and one or two small reads, where the promise API's thread-pool hops would cost
  // more than the reads themselves.
  return withFileSync(path, (fd, size) => headerFrom(path, size, (into, position) => readFully(fd, into, position)));
}

function headerFrom(path: string, size: number, readInto: (into: Uint8Array, position: number) => void): SafetensorsHeader {
  try {
    if (size < 8) throw new ModelError(path, `is ${size} bytes, too short for a SafeTensors header (8-byte length + JSON)`);
    // Exactly the header: 8 bytes of length, then the JSON (sync reads are cheap, so no read-ahead into the data).
    const lenBytes = new Uint8Array(8);
    readInto(lenBytes, 0);
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(MAX_HEADER_BYTES)) throw new ModelError(path, `header length ${n} is over the ${MAX_HEADER_BYTES / 1024 / 1024} MB a SafeTensors header may have (not a SafeTensors file?)`);
    const len = Number(n);
    if (8 + len > size) throw new ModelError(path, `header length ${len} runs past the end of the file (${size} bytes): the file is truncated or not SafeTensors`);
    if (len < 2) throw new ModelError(path, `header length ${len} is too short for a JSON object`);
    const json = new Uint8Array(len);
    readInto(json, 8);
    return parseHeader(path, json, size);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length; ) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error('the file ended early');
    done += n;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks the header JSON; `size` is the file's size (the data area is [8 + N, size)). */
export function parseHeader(path: string, json: Uint8Array, size: number): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(json));
  } catch (e) {
    throw new ModelError(path, `header is not valid JSON (${String((e as Error).message).split('\n')[0].slice(0, 120)})`);
  }
  if (!isObj(parsed)) throw new ModelError(path, 'header is not a JSON object');
  const dataStart = 8 + json.length;
  const dataSize = size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (isObj(v)) for (const [k, x] of Object.entries(v)) metadata[k] = typeof x === 'string' ? x : JSON.stringify(x);
      continue;
    }
    entries.push(entry(path, name, v, dataStart, dataSize));
  }
  return { entries, metadata, size };
}

function entry(path: string, name: string, v: unknown, dataStart: number, dataSize: number): SafetensorsEntry {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name;
  const bad = (problem: string) => new ModelError(path, `tensor "${shown}": ${problem}`);
  if (!isObj(v)) throw bad('is not an object with dtype, shape and data_offsets');
  const { dtype: stored, shape, data_offsets: offsets } = v;
  if (typeof stored !== 'string') throw bad('has no dtype');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw bad(`shape ${JSON.stringify(shape)?.slice(0, 80)} is not a list of non-negative integers`);
  let elementCount = 1;
  for (const d of shape as number[]) elementCount *= d;
  if (!Number.isSafeInteger(elementCount)) throw bad(`shape [${shape.join(', ')}] has more elements than can be counted`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) throw bad('data_offsets is not [begin, end]');
  const [b, e] = offsets as [number, number];
  if (b > e) throw bad(`data_offsets [${b}, ${e}] end before they begin`);
  if (e > dataSize) throw bad(`data_offsets [${b}, ${e}] run past the end of the data (${dataSize} bytes after the header): the file is truncated or corrupt`);
  const dtype = DTYPES[stored] ?? 'unknown';
  const base = { name, stored, dtype, shape: shape as number[], elementCount, begin: dataStart + b, end: dataStart + e };
  if (dtype === 'unknown') return { ...base, problem: `SafeTensors dtype ${stored.slice(0, 40)} is not supported` };
  const want = elementCount * DTYPE_BYTES[dtype]!;
  if (e - b !== want) throw bad(`holds ${e - b} bytes, but ${stored} [${shape.join(', ')}] needs ${want}`);
  return base;
}

/** Cheap sniff for files without the extension: a small u64 length, then a JSON object. */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 10 || head[8] !== 0x7b) return false;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = v.getBigUint64(0, true);
  return n >= 2n && n <= BigInt(MAX_HEADER_BYTES) && (head[9] === 0x22 || head[9] === 0x7d || head[9] === 0x20 || head[9] === 0x0a);
}
