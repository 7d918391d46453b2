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

/** The formats' names for a sentence, alphabetically: "GGUF, Keras, … and TensorFlow.js". */
export function formatNamesText(entries: readonly Pick<CatalogEntry, 'name'>[]): string {
  const names = entries.map((e) => e.name).sort((a, b) => a.localeCompare(b));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names.join('');
}

/** What the extension and the CLI say they are: package.json's description and the CLI's first help line. */
export function productTagline(entries: readonly Pick<CatalogEntry, 'name'>[]): string {
  return `Look inside ${formatNamesText(entries)} models`;
}
