import type { Model, ModelFormat } from '../model/graph';

export interface OpenOptions {
  signal?: AbortSignal;
  /** The file as openModel opened it, so that a reader need not open and stat it again. */
  head?: OpenHead;
}

/** A model file held open by openModel while a reader's `open` runs (not after). */
export interface OpenHead {
  /** Its first bytes (up to 4 KiB, what `match` saw). */
  readonly bytes: Uint8Array;
  readonly size: number;
  /** Reads exactly [position, position + length) synchronously; throws when the file ends first. */
  read(position: number, length: number): Uint8Array;
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
  /** VS Code `filenamePattern` globs of its own files: opening one opens the inspector (a folder format names its marker file). */
  readonly files: readonly string[];
  /**
   * Globs of file names other tools share (model.json, .h5, .pt): the inspector is offered for them through Inspect
   * and Open With, but is not their default editor.
   */
  readonly optionFiles?: readonly string[];
  /**
   * For file names other tools share (model.json): a pattern the first 4 KiB of this format's files match, so the
   * extension host can tell candidates apart without loading the reader (Quick Inference's workspace list).
   */
  readonly headPattern?: RegExp;
  /** `head` is at most the first 4 KiB of the file. Must be cheap: no reads, no parsing beyond the head. */
  match(path: string, head: Uint8Array): boolean;
  open(path: string, opts?: OpenOptions): Promise<Model>;
  /**
   * Where a weight's output channels are when no consumer node says (dead-channel findings): 'first' for PyTorch-style
   * [out, in, ...] layouts (PyTorch, SafeTensors, GGUF, TFLite), 'last' for Keras/TF [.., in, out] kernels (the default).
   * ONNX decides per consumer.
   */
  readonly channelAxis?: 'first' | 'last';
  /** Which runtime backends run its models, in order, or why none can (shown to users). */
  readonly runs: Execution;
}

/**
 * How a format's models execute. `backends` names runtime backends (`src/runtime/backends/<id>/`) in order of
 * preference; the first one available on this machine runs the model. Empty, with `why`, when nothing can.
 */
export interface Execution {
  readonly backends: readonly string[];
  /** Why no backend runs this format (shown to users); only when `backends` is empty. */
  readonly why?: string;
  /** For backends that build a model from plain data rather than from the file (TF.js): derived from the opened model. */
  artifacts?(model: Model): Promise<TfjsArtifacts>;
}

/** What `tf.io.fromMemory` takes, as plain data (formats do not load tfjs). */
export interface TfjsArtifacts {
  readonly kind: 'layers' | 'graph';
  readonly modelTopology: object;
  readonly weightSpecs: { name: string; shape: number[]; dtype: string; quantization?: object }[];
  readonly weightData: ArrayBuffer;
  readonly format?: string;
  readonly signature?: object;
  readonly userDefinedMetadata?: object;
  readonly modelInitializer?: object;
}
