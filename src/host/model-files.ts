// Which files are models, for the extension host: from the format catalog (generated from the descriptors), never
// from patterns written here. The engine's readers still decide what a file really is when it is opened.
import entries from '../formats/catalog.generated.json';
import type { CatalogEntry } from '../formats/catalog';

export const FORMATS: readonly CatalogEntry[] = entries as CatalogEntry[];

/** A VS Code `filenamePattern` (`*.onnx`, or a file name under any folder) as a RegExp over a whole path. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('**/')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/\\\\]*').replace(/\?/g, '[^/\\\\]'))
    .join('(?:.*[/\\\\])?');
  return new RegExp(`(?:^|[/\\\\])${body}$`, 'i');
}

const allGlobs = (f: CatalogEntry) => [...f.files, ...f.optionFiles];
const matchers = FORMATS.map((f) => ({ f, res: allGlobs(f).map(globToRegExp), head: f.headPattern ? new RegExp(f.headPattern) : undefined }));

/** The formats whose file names `path` has (several for shared names; the head decides between them). */
export function formatsNamed(path: string): CatalogEntry[] {
  return matchers.filter((m) => m.res.some((r) => r.test(path))).map((m) => m.f);
}

export const isModelPath = (path: string): boolean => formatsNamed(path).length > 0;

/** Whether a file of this name, with these first bytes, is a model a runtime can execute. */
export function isRunnable(path: string, head: string | undefined): boolean {
  return matchers.some((m) => m.f.runs && m.res.some((r) => r.test(path)) && (!m.head || (head !== undefined && m.head.test(head))));
}

/** Globs of the files that may hold a runnable model, and whether each needs its head checked. */
export function runnableGlobs(): { glob: string; needsHead: boolean }[] {
  return FORMATS.filter((f) => f.runs).flatMap((f) => allGlobs(f).map((glob) => ({ glob: glob.startsWith('**/') ? glob : `**/${glob}`, needsHead: !!f.headPattern })));
}
