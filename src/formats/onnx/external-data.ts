import { ModelFolder } from '../contained-path';
import { FileRegions } from '../file-regions';
import type { ByteSource } from '../../model/tensor';

/** What an external tensor ends up with: bytes, or the reason there are none. */
export type Settled = { data: ByteSource; origin: string } | { problem: string; missing?: boolean };

interface Ref {
  tensor: string;
  location: string;
  offsetText?: string;
  lengthText?: string;
  expectedBytes?: number;
  settle: (r: Settled) => void;
}

interface OpenFile {
  real: string;
  size: number;
  /** Opened on first read, refused if the file is no longer the one checked (its device:inode). */
  regions: FileRegions;
}

/**
 * External data of one model (data_location = EXTERNAL). Tensors register while the graph is mapped (sync);
 * `resolve` then checks every path once: inside the model's folder after symlinks (else the whole model is refused,
 * see contained-path.ts), present, and big enough. Files are opened on first read and closed by `dispose`.
 */
export class ExternalData {
  private readonly folder: ModelFolder;
  private readonly refs: Ref[] = [];
  private readonly files = new Map<string, OpenFile>();

  constructor(modelPath: string) {
    this.folder = new ModelFolder(modelPath);
  }

  get count(): number {
    return this.refs.length;
  }

  /** The external data files found (after `resolve`), each once. */
  get dataFiles(): { path: string; bytes: number }[] {
    return [...this.files.values()].map((f) => ({ path: f.real, bytes: f.size }));
  }

  add(tensor: string, entries: { key?: string | null; value?: string | null }[], expectedBytes: number | undefined, settle: Ref['settle']): void {
    const kv = new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
    this.refs.push({
      tensor, location: kv.get('location') ?? '', offsetText: kv.get('offset'), lengthText: kv.get('length'), expectedBytes, settle,
    });
  }

  /**
   * Settles every registered tensor; returns the warnings to show on the model. A location that leaves the model's
   * folder throws (ModelError naming the model file) before any external file is opened.
   */
  async resolve(): Promise<string[]> {
    const warnings: string[] = [];
    const missing = new Map<string, number>();
    // Text first, for every tensor: a hostile path is refused even when an earlier tensor's file is merely missing.
    for (const ref of this.refs) if (ref.location) this.folder.checkText(ref.location, 'external data path', `tensor '${ref.tensor}'`);
    for (const ref of this.refs) {
      const r = await this.check(ref);
      if ('missing' in r && r.missing) missing.set(ref.location, (missing.get(ref.location) ?? 0) + 1);
      else if ('problem' in r) warnings.push(r.problem);
      ref.settle(r);
    }
    for (const [loc, n] of missing) warnings.push(`external data file '${loc}' was not found next to the model (${n} tensor${n === 1 ? '' : 's'} without data)`);
    return warnings;
  }

  private async check(ref: Ref): Promise<Settled> {
    const what = `tensor '${ref.tensor}'`;
    const loc = ref.location;
    if (!loc) return { problem: `${what}: external data has no location` };
    const found = await this.folder.locate(loc, 'external data path', `tensor '${ref.tensor}'`);
    if (found.kind === 'missing') {
      if (found.code === 'ENOENT' || found.code === 'ENOTDIR') return { problem: `${what}: external data file '${loc}' not found`, missing: true };
      return { problem: `${what}: external data file '${loc}' cannot be read (${found.code})` };
    }
    if (found.kind === 'not-file') return { problem: `${what}: external data path '${loc}' is not a regular file` };
    const real = found.real;
    let file = this.files.get(real);
    if (!file) {
      file = { real, size: found.size, regions: new FileRegions(real, found.size, found.id) };
      this.files.set(real, file);
    }
    const offset = parseCount(ref.offsetText ?? '0');
    if (offset === undefined) return { problem: `${what}: external data offset '${ref.offsetText}' is not a non-negative integer` };
    let length: number | undefined;
    if (ref.lengthText !== undefined) {
      length = parseCount(ref.lengthText);
      if (length === undefined) return { problem: `${what}: external data length '${ref.lengthText}' is not a non-negative integer` };
      if (ref.expectedBytes !== undefined && length !== ref.expectedBytes) {
        return { problem: `${what}: external data length ${length} does not match its shape and dtype (${ref.expectedBytes} bytes)` };
      }
    }
    const byteLength = length ?? ref.expectedBytes ?? file.size - offset;
    if (offset > file.size || offset + byteLength > file.size) {
      return { problem: `${what}: external data range [${offset}, ${offset + byteLength}) is beyond the end of '${loc}' (${file.size} bytes)` };
    }
    return { data: file.regions.region(offset, byteLength, `the tensor's external data in '${loc}'`), origin: `${loc} @ ${offset}` };
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.regions.dispose()));
  }
}

/** Decimal, non-negative, safe integer — anything else in an offset/length field is a problem, not a guess. */
function parseCount(text: string): number | undefined {
  if (!/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}
