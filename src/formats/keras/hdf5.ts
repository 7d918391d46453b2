import { ModelError } from '../../model/errors';
import type { DType } from '../../model/dtype';
import type { ByteSource } from '../../model/tensor';
import { checkRange } from '../byte-sources';
import type * as H5Module from 'h5wasm/node' with { 'resolution-mode': 'import' };

/**
 * Read-only HDF5 through h5wasm (the HDF5 C library in WebAssembly). Its Node build works on the real file system
 * (NODERAWFS), so HDF5 reads the file itself, on demand: opening walks only the groups and attributes, and a
 * dataset's values are read (as a slice of rows) when its ByteSource is read.
 *
 * h5wasm reports failures by printing HDF5's error stack to stderr and returning negative ids; every call here
 * runs inside `guarded`, which swallows that printing (the calls are synchronous, so nothing else can write in
 * between), turns the last HDF5 message into a ModelError and turns any exception (including a WebAssembly trap)
 * into one too, so a corrupt file never reaches the user as a stack trace or a dead process.
 */

type H5 = typeof H5Module;
type H5File = InstanceType<H5['File']>;
type H5Dataset = InstanceType<H5['Dataset']>;

let loading: Promise<H5> | undefined;

async function h5wasm(): Promise<H5> {
  loading ??= (async () => {
    // The module's JavaScript glue prints its own messages (a WebAssembly abort as "Aborted(native code called
    // abort())", "warning: Invalid UTF-8 leading byte …" for a damaged name) through console.error, which it binds
    // when it is created: while it is created, console.error is one that keeps what is printed inside a `guarded`
    // call with HDF5's own output (anyone else's messages go on to the real console.error).
    consoleError = console.error;
    console.error = glueError;
    let ns: H5;
    let module: { FS: EmscriptenFs };
    try {
      const m = await import('h5wasm/node');
      // The bundled CJS build may hand back the namespace under `default`.
      ns = ((m as unknown as { default?: H5 }).default?.File ? (m as unknown as { default: H5 }).default : m) as H5;
      // (The glue binds console.error in its asynchronous factory: it is done once `ready` resolves.)
      module = (await ns.ready) as unknown as { FS: EmscriptenFs };
    } finally {
      console.error = consoleError;
    }
    captureStderr(module.FS);
    return ns;
  })();
  return loading;
}

let consoleError: typeof console.error = console.error;
/** Set while a `guarded` call runs (synchronously: nothing else can print meanwhile). */
let capturing = false;

/** h5wasm's console.error: inside a guarded call its messages join what HDF5 printed (for the error message). */
function glueError(...args: unknown[]): void {
  if (!capturing) return consoleError.apply(console, args);
  if (printed.length < 64 * 1024) printed += `${args.map(String).join(' ')}\n`;
}

interface EmscriptenFs {
  write(stream: { fd?: number }, buffer: Int8Array, offset: number, length: number, position?: number): number;
}

/** What HDF5 printed to its stderr since the last `guarded` call began. */
let printed = '';

/**
 * HDF5 prints its error stack with fprintf(stderr), which the Node build writes straight to fd 2 (not through
 * process.stderr). Route the module's fd 2 into `printed` instead, for the error message.
 */
function captureStderr(fs: EmscriptenFs): void {
  const write = fs.write.bind(fs);
  fs.write = (stream, buffer, offset, length, position) => {
    if (stream.fd !== 2) return write(stream, buffer, offset, length, position);
    if (printed.length < 64 * 1024) printed += Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).toString('utf8');
    return length;
  };
}

/** Runs an h5wasm call; a failure (HDF5's printed error, a thrown Error or a WebAssembly trap) becomes a ModelError. */
function guarded<T>(file: string, what: string, f: () => T): T {
  printed = '';
  capturing = true;
  try {
    return f();
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(file, `${what}: ${hdf5Reason(printed) ?? (e instanceof Error ? e.message : String(e))}`);
  } finally {
    printed = '';
    capturing = false;
  }
}

/** The innermost HDF5 message ("file signature not found", "truncated file: eof = ...") is the useful one. */
function hdf5Reason(printed: string): string | undefined {
  const lines = [...printed.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)].map((m) => m[1].trim());
  return lines.length ? `HDF5: ${lines[lines.length - 1]}` : undefined;
}

export interface DatasetInfo {
  readonly path: string;
  readonly shape: number[];
  readonly dtype: DType;
  /** Why the values cannot be read as that dtype (float16, compound, virtual...), when they cannot. */
  readonly problem?: string;
}

/** An open HDF5 file; `close` releases it (lazy reads fail after). */
export class Hdf5File {
  private closed = false;

  private constructor(
    /** The path shown in errors (for a `.keras`, the archive). */
    readonly shownAs: string,
    private readonly h5: H5,
    private readonly file: H5File,
  ) {}

  static async open(realPath: string, shownAs: string, what: string): Promise<Hdf5File> {
    const h5 = await h5wasm();
    const file = guarded(shownAs, what, () => {
      const f = new h5.File(realPath, 'r');
      if (f.file_id < 0n) throw new ModelError(shownAs, `${what === 'HDF5' ? 'is' : `${what} is`} not a readable HDF5 file (${hdf5Reason(printed) ?? 'HDF5 could not open it'})`);
      return f;
    });
    return new Hdf5File(shownAs, h5, file);
  }

  /** Child names of a group, or undefined when `path` is not a group. */
  keys(path: string): string[] | undefined {
    return this.call(`group ${path}`, () => {
      const g = this.object(path);
      return g instanceof this.h5.Group ? g.keys() : undefined;
    });
  }

  isDataset(path: string): boolean {
    return this.call(path, () => this.object(path) instanceof this.h5.Dataset);
  }

  /** An attribute decoded to JSON types (byte strings become strings), or undefined when absent. */
  attr(path: string, name: string): unknown {
    return this.call(`attribute ${name} of ${path}`, () => {
      const obj = this.object(path);
      if (!obj || !('attrs' in obj) || !(name in obj.attrs)) return undefined;
      return obj.get_attribute(name, true);
    });
  }

  /**
   * The object at `path`, resolved one link at a time: HDF5 follows external links (into other files) while
   * resolving a path, so every step must be a hard-linked group of this file before the next name is looked up
   * in it. A soft, external or dangling link anywhere gives null, and its target is never opened.
   */
  private object(path: string): ReturnType<H5File['get']> | H5File {
    if (path === '/' || path === '') return this.file;
    const parts = path.split('/').filter(Boolean);
    let at = '';
    for (let i = 0; i < parts.length; i++) {
      at += `/${parts[i]}`;
      // h5wasm's get() resolves with "follow links" on, which opens an external link's file: ask about the link
      // itself first. Keras writes hard links only, so soft and external links are both refused.
      if (this.file.get_link(at) !== null || 'filename' in (this.file.get_external_link(at) ?? {})) return null;
      const o = this.file.get(at);
      if (i === parts.length - 1) return o instanceof this.h5.Group || o instanceof this.h5.Dataset ? o : null;
      if (!(o instanceof this.h5.Group)) return null;
    }
    return null;
  }

  dataset(path: string): DatasetInfo {
    return this.call(`dataset ${path}`, () => {
      const d = this.get(path);
      const m = d.metadata;
      const shape = d.shape ?? [];
      const dtype = h5DType(m.type, m.size, m.signed);
      // A virtual dataset reads other files: never followed.
      const problem = m.virtual_sources?.length ? 'it is a virtual dataset (its values live in other files, which are not read)'
        : !dtype ? `its HDF5 type (class ${m.type}, ${m.size} bytes) is not a numeric type`
        // h5wasm 0.10 has no float16 accessor ("Float16 not supported"). Big-endian needs no check: HDF5
        // converts to the native (little-endian) order on read.
        : dtype === 'float16' ? 'its float16 values cannot be read (h5wasm 0.10 does not decode float16)' : undefined;
      return { path, shape, dtype: dtype ?? 'unknown', ...(problem ? { problem } : {}) };
    });
  }

  /**
   * The dataset's values as little-endian bytes, read lazily: each read asks HDF5 for the rows (first-axis slices)
   * that cover the range, so a stats scan in chunks never holds a whole big tensor.
   */
  source(info: DatasetInfo, bytesPerElement: number): ByteSource {
    const count = info.shape.reduce((a, b) => a * b, 1);
    const byteLength = count * bytesPerElement;
    const rowElements = info.shape.length ? info.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const what = `dataset ${info.path}`;
    return {
      byteLength,
      read: async (offset, length) => {
        checkRange(this.shownAs, what, byteLength, offset, length);
        if (length === 0) return new Uint8Array(0);
        const rowBytes = rowElements * bytesPerElement;
        const r0 = Math.floor(offset / rowBytes);
        const r1 = Math.ceil((offset + length) / rowBytes);
        const data = this.call(what, () => {
          const d = this.get(info.path);
          return info.shape.length === 0 ? scalarArray(info.dtype, d.value) : d.slice([[r0, r1]]);
        });
        if (!ArrayBuffer.isView(data)) throw new ModelError(this.shownAs, `${what}: HDF5 gave no numeric values`);
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const start = offset - r0 * rowBytes;
        if (start + length > bytes.byteLength) throw new ModelError(this.shownAs, `${what}: HDF5 gave ${bytes.byteLength} bytes for rows ${r0}..${r1}, fewer than its shape says`);
        return bytes.slice(start, start + length);
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      guarded(this.shownAs, 'close', () => this.file.close());
    } catch {
      // A file HDF5 could not read may also fail to close; nothing is left to release.
    }
  }

  private get(path: string): H5Dataset {
    const d = this.object(path);
    if (!(d instanceof this.h5.Dataset)) throw new ModelError(this.shownAs, `${path} is not an HDF5 dataset`);
    return d;
  }

  private call<T>(what: string, f: () => T): T {
    if (this.closed) throw new ModelError(this.shownAs, `${what}: the file was closed`);
    return guarded(this.shownAs, what, f);
  }
}

/** HDF5 type classes h5wasm reports: 0 integer, 1 float. */
function h5DType(cls: number, size: number, signed: boolean): DType | undefined {
  if (cls === 1) return size === 4 ? 'float32' : size === 8 ? 'float64' : size === 2 ? 'float16' : undefined;
  if (cls === 0) {
    const bits = size * 8;
    if (![8, 16, 32, 64].includes(bits)) return undefined;
    return `${signed ? 'int' : 'uint'}${bits}` as DType;
  }
  return undefined;
}

/** The HDF5 signature, found at 0 or (after a user block) at 512, 1024, 2048, ... */
export const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasHdf5Signature(head: Uint8Array): boolean {
  for (let at = 0; at + 8 <= head.byteLength; at = at === 0 ? 512 : at * 2) {
    if (HDF5_SIGNATURE.every((b, i) => head[at + i] === b)) return true;
  }
  return false;
}

/**
 * h5wasm gives a scalar dataset's value as a plain number or bigint (an optimizer's iteration count, its learning
 * rate): one element of a typed array of the dataset's dtype, so that it reads like any other dataset.
 */
function scalarArray(dtype: DType, v: unknown): unknown {
  if (ArrayBuffer.isView(v) || (typeof v !== 'number' && typeof v !== 'bigint')) return v;
  const n = Number(v);
  switch (dtype) {
    case 'float32': return Float32Array.of(n);
    case 'float64': return Float64Array.of(n);
    case 'int8': return Int8Array.of(n);
    case 'uint8': case 'bool': return Uint8Array.of(n);
    case 'int16': return Int16Array.of(n);
    case 'uint16': return Uint16Array.of(n);
    case 'int32': return Int32Array.of(n);
    case 'uint32': return Uint32Array.of(n);
    case 'int64': return BigInt64Array.of(BigInt(v));
    case 'uint64': return BigUint64Array.of(BigInt(v));
    default: return v;
  }
}
