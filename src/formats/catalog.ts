/** One format descriptor as plain data (scripts/format-catalog.ts writes catalog.generated.json from the descriptors). */
export interface CatalogEntry {
  id: string;
  name: string;
  /** VS Code `filenamePattern` globs of its own files (the inspector is their default editor). */
  files: string[];
  /** Globs of file names other tools share (the inspector is offered, not the default). */
  optionFiles: string[];
  /** Whether a runtime executes its models. */
  runs: boolean;
  /** RegExp source the first 4 KiB of its files match, for file names other tools share. */
  headPattern?: string;
}
