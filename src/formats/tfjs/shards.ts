import type { FileHandle } from 'node:fs/promises';
import { ModelError } from '../../model/errors';
import { basename } from 'node:path';
import { ModelFolder, openLocated, type LocatedFile } from '../contained-path';

interface ShardFile {
  /** As written in the manifest; what messages show. */
  readonly entry: string;
  /** The checked file (its real path is what is opened). */
  readonly file: LocatedFile;
  readonly abs: string;
  readonly size: number;
}

/**
 * One manifest group's shard files, read as if concatenated (that is how TF.js lays weights out).
 * Files are checked at open time: a missing shard, or one that is not a file, is a ModelError naming the shard (so
 * every verb refuses the model the same way), a shard path that leaves the model's folder one naming the model.json.
 * Handles are opened on the first read and closed by `close`.
 */
export class ShardGroup {
  /** Bytes in the group's shards, all of them. */
  readonly readableBytes: number;
  private readonly starts: number[] = [];
  private readonly handles = new Map<number, Promise<FileHandle>>();
  private closed = false;

  private constructor(
    private readonly jsonPath: string,
    private readonly files: ShardFile[],
  ) {
    let at = 0;
    for (const f of files) {
      this.starts.push(at);
      at += f.size;
    }
    this.readableBytes = at;
  }

  /**
   * Resolves `paths` against the model.json folder. A path that leaves the folder throws (ModelError naming the
   * model.json): the whole model is refused, nothing is read. So does a missing shard (ModelError naming the shard).
   */
  static async resolve(jsonPath: string, paths: readonly unknown[], folder = new ModelFolder(jsonPath)): Promise<ShardGroup> {
    const files: ShardFile[] = [];
    for (const p of paths) files.push(await checkShard(jsonPath, folder, p));
    return new ShardGroup(jsonPath, files);
  }

  /**
   * The error for a group whose shards hold fewer bytes than its weights need, naming the shard that was cut: TF.js
   * writes every shard of a group at one size but the last, so a smaller one before the last is it; else the last.
   */
  shortError(needed: number): ModelError {
    const n = this.files.length;
    const cut = this.files.find((f, i) => i < n - 1 && f.size < this.files[0].size) ?? this.files[n - 1];
    if (!cut) return new ModelError(this.jsonPath, `a weightsManifest group lists no shard files, but its weights need ${needed} bytes`);
    const held = n === 1 ? '' : `; the group's ${n} shards hold ${this.readableBytes}`;
    return new ModelError(cut.file.abs, `is ${cut.size} bytes${held}, but the weights ${basename(this.jsonPath)} lists for ${n === 1 ? 'it' : 'them'} need ${needed} (truncated?)`);
  }

  /** The group's shard files, with their sizes. */
  get dataFiles(): { path: string; bytes: number }[] {
    return this.files.map((f) => ({ path: f.abs, bytes: f.size }));
  }

  /** "group1-shard2of3.bin @ 1024" for a group offset that lies in a readable shard. */
  originOf(offset: number): string | undefined {
    if (offset >= this.readableBytes) return undefined;
    const i = this.indexOf(offset);
    return `${this.files[i].entry} @ ${offset - this.starts[i]}`;
  }

  get lastShard(): string | undefined {
    return this.files[this.files.length - 1]?.entry;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const i = this.indexOf(at);
      const f = this.files[i];
      if (!f || at >= this.readableBytes) {
        throw new ModelError(this.lastShard ?? 'weights', `weight bytes at ${at} are past the end of the shards (${this.readableBytes} bytes)`);
      }
      const inFile = at - this.starts[i];
      const n = Math.min(length - done, f.size - inFile);
      const fh = await this.handle(i);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(out, done + got, n - got, inFile + got);
        if (bytesRead === 0) throw new ModelError(f.abs, `ends at byte ${inFile + got}, but was ${f.size} bytes when the model was opened`);
        got += bytesRead;
      }
      done += n;
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map(async (h) => (await h.catch(() => undefined))?.close()));
  }

  private handle(i: number): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new ModelError(this.files[i].abs, 'cannot be read: the model was closed'));
    let h = this.handles.get(i);
    if (!h) {
      const f = this.files[i];
      h = openLocated(f.file).catch((e: NodeJS.ErrnoException) => {
        this.handles.delete(i);
        if (e instanceof ModelError) throw e;
        throw new ModelError(f.abs, `cannot be opened (${e.code ?? String(e)})`);
      });
      this.handles.set(i, h);
    }
    return h;
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

async function checkShard(jsonPath: string, folder: ModelFolder, p: unknown): Promise<ShardFile> {
  if (typeof p !== 'string' || p === '') throw new ModelError(jsonPath, `weight shard path ${JSON.stringify(p)} is not a file name`);
  const candidates = [p];
  try {
    const decoded = decodeURIComponent(p);
    if (decoded !== p) candidates.push(decoded); // browsers' savers URL-encode names
  } catch {
    /* not percent-encoded */
  }
  // Every spelling is held to the folder before any is looked up: "..%2F" must not pass because the raw name is absent.
  const owner = (c: string) => (c === p ? undefined : `percent-decoded from ${JSON.stringify(p).slice(0, 160)}`);
  for (const c of candidates) folder.checkText(c, 'weight shard path', owner(c));
  let missing: { abs: string; code: string } | undefined;
  for (const c of candidates) {
    const found = await folder.locate(c, 'weight shard path', owner(c));
    if (found.kind === 'missing') {
      missing ??= found;
      continue;
    }
    if (found.kind === 'not-file') throw new ModelError(found.abs, `is not a file, but ${basename(jsonPath)} lists it as a weight shard`);
    return { entry: p, file: found, abs: found.real, size: found.size };
  }
  throw new ModelError(missing?.abs ?? p, `is missing (${missing?.code ?? 'ENOENT'}), but ${basename(jsonPath)} lists it as a weight shard`);
}
