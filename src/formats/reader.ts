import type { Model } from '../model/graph';

export interface OpenOptions {
  signal?: AbortSignal;
}

/**
 * One reader per format (Netron's idea): a cheap `match` that sniffs the name and first bytes, and an
 * `open` that builds the shared IR. Readers never load tensor bytes eagerly: tensors carry ByteSources.
 */
export interface FormatReader {
  readonly id: string;
  /** `head` is at most the first 4 KiB of the file. */
  match(path: string, head: Uint8Array): boolean;
  open(path: string, opts?: OpenOptions): Promise<Model>;
}
