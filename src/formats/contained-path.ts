import { open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ModelError } from '../model/errors';

/**
 * The one rule for paths written inside a model file (TF.js weight shards, ONNX external data, any future format's
 * side files): they name files in the model's folder or its subfolders, and nothing else. Every reader and every
 * runtime that reads such a file calls `ModelFolder.locate` first, so a path that leaves the folder is refused
 * before a byte of it is read.
 */

/** Where an allowed path points: a regular file (real = after symlinks), something else there, or nothing. */
export type Located =
  | LocatedFile
  | { kind: 'not-file'; abs: string }
  /** Not there, or not reachable (ENOENT, EACCES, ELOOP…): a missing-file problem, not an escape. */
  | { kind: 'missing'; abs: string; code: string };

/** A checked file: `id` (device:inode) is what was checked, so a later open can tell it is still that file. */
export interface LocatedFile {
  kind: 'file';
  abs: string;
  real: string;
  size: number;
  id: string;
}

/**
 * Opens a located file for reading, refusing it when what is there now is not the file that was checked (replaced,
 * or its folder swapped for a symlink, since the model was opened): the check must hold for the bytes actually read.
 */
export async function openLocated(file: LocatedFile): Promise<FileHandle> {
  const fh = await open(file.real, 'r');
  const s = await fh.stat().catch(() => undefined);
  if (s && `${s.dev}:${s.ino}` === file.id) return fh;
  await fh.close();
  throw new ModelError(file.real, 'was replaced after the model was opened; reopen the model to read it');
}

/** Why the text alone leaves the folder, whatever the disk holds; undefined when it stays inside (lexically). */
export function pathTextProblem(entry: string): string | undefined {
  if (entry.includes('\0')) return 'it contains a NUL byte';
  // Windows spellings are refused on every platform: a model that is safe on Linux must not escape on Windows.
  if (/^[a-zA-Z]:/.test(entry)) return 'it is a Windows drive path';
  if (/^[\\/]{2}/.test(entry)) return 'it is a UNC or network path';
  if (isAbsolute(entry) || entry.startsWith('\\')) return 'it is absolute';
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(entry)) return 'it is a URL';
  let depth = 0;
  for (const part of entry.split(/[\\/]+/)) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return "it climbs out with '..'";
  }
  return undefined;
}

/** A path as messages show it: quoted, escaped (so it stays one line) and shortened. */
export function shownPath(entry: string): string {
  const s = JSON.stringify(entry);
  return s.length > 160 ? `${s.slice(0, 159)}…"` : s;
}

/** The folder of one model file, with the realpaths it has looked up (big models point thousands of tensors at one file). */
export class ModelFolder {
  readonly dir: string;
  private realDir: Promise<string> | undefined;
  private readonly cache = new Map<string, Promise<Located | { escape: string }>>();

  constructor(readonly modelFile: string) {
    this.dir = dirname(resolve(modelFile));
  }

  /**
   * Resolves `entry` (as written in the model file) inside the folder. A path that leaves it — by its text, or
   * through a symlink in the folder — throws `<model file>: <what> "<entry>" (<owner>) leaves the model folder (<why>)…`.
   * Nothing is opened: only realpath and stat are used.
   */
  async locate(entry: string, what: string, owner?: string): Promise<Located> {
    let p = this.cache.get(entry);
    if (!p) this.cache.set(entry, (p = this.find(entry)));
    const r = await p;
    if ('escape' in r) throw escapeError(this.modelFile, what, entry, r.escape, owner);
    return r;
  }

  /** Throws like `locate` when the text alone leaves the folder; touches no file. */
  checkText(entry: string, what: string, owner?: string): void {
    const why = pathTextProblem(entry);
    if (why) throw escapeError(this.modelFile, what, entry, why, owner);
  }

  private async find(entry: string): Promise<Located | { escape: string }> {
    const why = pathTextProblem(entry);
    if (why) return { escape: why };
    const abs = resolve(this.dir, entry);
    if (outside(this.dir, abs)) return { escape: 'it resolves outside the folder' };
    this.realDir ??= realpath(this.dir).catch(() => this.dir);
    const realDir = await this.realDir;
    let real: string;
    try {
      real = await realpath(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      // A missing file under a symlinked subfolder that points outside is still an escape.
      const ancestor = await this.realAncestor(abs);
      if (ancestor && outside(realDir, ancestor)) return { escape: 'a symlink takes it outside the folder' };
      return { kind: 'missing', abs, code };
    }
    if (outside(realDir, real)) return { escape: 'a symlink takes it outside the folder' };
    const s = await stat(real).catch(() => undefined);
    if (!s?.isFile()) return { kind: 'not-file', abs };
    return { kind: 'file', abs, real, size: s.size, id: `${s.dev}:${s.ino}` };
  }

  /** The realpath of the nearest existing folder above `abs` (up to the model's folder). */
  private async realAncestor(abs: string): Promise<string | undefined> {
    for (let d = dirname(abs); !outside(this.dir, d); d = dirname(d)) {
      try {
        return await realpath(d);
      } catch {
        if (d === this.dir) return undefined;
      }
    }
    return undefined;
  }
}

/**
 * The error every refusal produces: `what` names the kind of path ("weight shard path", "external data path"),
 * `owner` what it belongs to ("tensor 'W'").
 */
export function escapeError(modelFile: string, what: string, entry: string, why: string, owner?: string): ModelError {
  const whose = owner ? ` (${owner.replace(/[\u0000-\u001f\u2028\u2029]+/g, ' ').slice(0, 120)})` : '';
  return new ModelError(modelFile, `${what} ${shownPath(entry)}${whose} leaves the model folder (${why})`);
}

/** True when `target` is not `dir` itself or below it. */
function outside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel === '..' || rel.startsWith('../') || rel.startsWith('..\\') || isAbsolute(rel);
}
