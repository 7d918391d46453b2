import type { Model, ModelFormat } from '../model/graph';

export interface OpenOptions {
  signal?: AbortSignal;
}

/**
 * Everything the product knows about one file format, in one object under `src/formats/<format>/` (Netron's idea:
 * a cheap `match` and an `open` that builds the shared IR). The registry lists descriptors; nothing else in the
 * code base recognises formats by file name: package.json's editor selectors and menu clauses are generated from
 * `files` (scripts/sync-formats.ts, checked by a unit test), and runtimes and explain dispatch on `Model.format`.
 * Readers never load tensor bytes eagerly: tensors carry ByteSources.
 */
export interface FormatDescriptor {
  /** Folder name under src/formats/. */
  readonly id: string;
  /** What users call it: "ONNX", "SafeTensors". */
  readonly name: string;
  /** The `Model.format` values `open` produces. */
  readonly formats: readonly ModelFormat[];
  /** VS Code `filenamePattern` globs of the files it opens; a folder format names the file that marks the folder. */
  readonly files: readonly string[];
  /**
   * 'default': opening such a file opens the inspector. 'option': the file name is shared with other tools
   * (model.json, .h5, .pt), so the inspector is offered through Inspect / Open With only.
   */
  readonly editor: 'default' | 'option';
  /** `head` is at most the first 4 KiB of the file. Must be cheap: no reads, no parsing beyond the head. */
  match(path: string, head: Uint8Array): boolean;
  open(path: string, opts?: OpenOptions): Promise<Model>;
}
