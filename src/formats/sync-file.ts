import { closeSync, fstatSync, openSync } from 'node:fs';
import { ModelError } from '../model/errors';

/**
 * Opens `path` synchronously, gives `use` the descriptor and the file's size, and closes it: for readers whose header
 * is a few small reads, where the promise API's thread-pool hops would cost more than the reads. A file that cannot
 * be opened, or any non-ModelError from `use`, is `<file>: cannot be read (<code>)`.
 */
export function withFileSync<T>(path: string, use: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return use(fd, fstatSync(fd).size);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
}
