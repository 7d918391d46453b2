import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelError } from '../../model/errors';

/**
 * `relPath` (a path found inside the model) resolved inside `dir`, or a ModelError before any byte is read: no
 * absolute paths, no `..` segments, no NUL, and no symlink that leads out of the folder.
 * Local stand-in for the shared src/formats/contained-path.ts that another engineer is writing.
 */
export function insideFolder(dir: string, relPath: string, file: string): string {
  const refuse = (why: string) => new ModelError(file, `refers to "${relPath}", which ${why}; only files inside the model's folder are read`);
  if (relPath.includes('\0')) throw refuse('contains a NUL byte');
  if (isAbsolute(relPath) || /^[a-zA-Z]:/.test(relPath) || relPath.startsWith('\\')) throw refuse('is an absolute path');
  if (relPath.split(/[\\/]/).includes('..')) throw refuse('climbs out with ".."');
  const target = resolve(dir, relPath);
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch {
    realDir = resolve(dir);
  }
  let realTarget: string;
  try {
    realTarget = realpathSync(target);
  } catch {
    // Not there (yet): the caller reports it missing; its lexical position was checked above.
    return target;
  }
  const rel = relative(realDir, realTarget);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw refuse('leads outside the folder (through a link)');
  return join(dir, relPath);
}
