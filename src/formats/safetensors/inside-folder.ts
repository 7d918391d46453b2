import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The absolute path of `relPath` when it names a file inside `dir`, else a reason it is refused. A shard name comes
 * from the model file, so it must not reach out of the model's folder: absolute paths, `..` escapes, NUL and links
 * whose target lies outside are refused before anything is read. Local stand-in for the shared
 * src/formats/contained-path.ts (to be switched over when that lands). A file that does not exist passes the
 * lexical checks and is reported as missing by the caller's stat.
 */
export async function insideFolder(dir: string, relPath: string): Promise<{ abs: string } | { refused: string }> {
  if (relPath.length === 0) return { refused: 'is an empty file name' };
  if (relPath.includes('\0')) return { refused: 'contains a NUL character' };
  if (isAbsolute(relPath) || /^[a-zA-Z]:|^[\\/]/.test(relPath)) return { refused: 'is an absolute path; shard files must sit in the model folder' };
  const base = resolve(dir);
  const abs = resolve(base, relPath);
  const lexical = relative(base, abs);
  if (lexical === '' || lexical.startsWith('..') || isAbsolute(lexical) || relPath.split(/[\\/]/).includes('..')) {
    return { refused: 'points outside the model folder' };
  }
  let realBase: string;
  let realAbs: string;
  try {
    realBase = await realpath(base);
    realAbs = await realpath(abs);
  } catch {
    return { abs }; // missing: the caller's stat says so with the file's name
  }
  if (!realAbs.startsWith(realBase.endsWith(sep) ? realBase : realBase + sep)) return { refused: 'is a link to a file outside the model folder' };
  return { abs };
}
