import type { DType } from './dtype';

/**
 * Where a tensor's bytes live. Readers implement this over the file buffer, an external data file or a set of
 * weight shards; nothing is read until `read` is called, so opening a 2 GB model costs only its structure.
 */
export interface ByteSource {
  readonly byteLength: number;
  /** Reads [offset, offset+length) of this tensor's bytes. Rejects with a ModelError when the bytes are not there. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads the same bytes into target[0..length) (a caller's reused buffer, so a scan over a big file
   * allocates nothing per chunk). Same errors as `read`.
   */
  readInto?(offset: number, length: number, target: Uint8Array): Promise<void>;
  /**
   * Optional: where the bytes lie in a plain file (this source's offset 0 is `offset` in `file`; `id`, device:inode
   * at the model's open, when the reader checked it), so that another thread can read them itself (stats workers).
   */
  readonly location?: FileLocation;
}

export interface FileLocation {
  readonly file: string;
  readonly offset: number;
  readonly id?: string;
}

/** How stored integers map to real values, when a format says so. */
export type Quantization =
  /** real = (q - zeroPoint) * scale; per-tensor (length 1) or per-axis arrays. */
  | { kind: 'affine'; scale: number[]; zeroPoint: number[]; axis?: number }
  /** TF.js weight quantization: real = q * scale + min (min/scale form) or (q - offset) * scale. */
  | { kind: 'tfjs'; dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; offset?: number }
  /** GGML block quantization (GGUF): the bytes are blocks of `type`, dequantized by src/formats/gguf/dequantize.ts. */
  | { kind: 'ggml'; type: GgmlBlockType };

/** The GGML block types whose values stats can decode. */
export type GgmlBlockType = 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K';

export type TensorLocation = 'inline' | 'external' | 'shard' | 'constant-node' | 'sparse';

/**
 * What a stored tensor is for. Only 'weight' and 'buffer' are read by a forward pass as the model's parameters;
 * the rest are stored beside them: 'counter' (BatchNorm's num_batches_tracked, an optimizer's step, save_counter),
 * 'optimizer' (Adam's moments and other slots a training checkpoint keeps), 'constant' (integer shape, axis and
 * padding operands, scalars, quantization scales and zero points that a graph feeds to its ops).
 * 'buffer' is state the forward pass reads but training does not fit by gradient (BatchNorm running statistics).
 */
export type TensorRole = 'weight' | 'buffer' | 'counter' | 'optimizer' | 'constant';

export const TENSOR_ROLES: readonly TensorRole[] = ['weight', 'buffer', 'counter', 'optimizer', 'constant'];

export interface Tensor {
  readonly name: string;
  /** The dtype the values have for the user (after dequantization for TF.js quantized weights). */
  readonly dtype: DType;
  readonly shape: number[];
  readonly elementCount: number;
  /** The stored element type when it differs from dtype (quantized TF.js weights). */
  readonly storedDType?: DType;
  readonly location: TensorLocation;
  /** Human-readable origin, e.g. "weights.bin @ 1024" or "raw_data". */
  readonly origin?: string;
  readonly quantization?: Quantization;
  /** Undefined when the bytes cannot be had (missing external file); `problem` then says why. */
  readonly data?: ByteSource;
  readonly problem?: string;
  /** Values that formats store as typed fields instead of bytes (ONNX float_data etc.), already decoded. */
  readonly values?: ArrayLike<number> | ArrayLike<bigint> | string[];
  /**
   * What the tensor is for; absent means 'weight'. Not readonly: graph formats know it only once the graph is
   * linked (which ops read the tensor, at which input), so their readers set it in a pass after linking.
   */
  role?: TensorRole;
}

export function tensorRole(t: Tensor): TensorRole {
  return t.role ?? 'weight';
}

/** Weights and buffers: what the forward pass reads as the model's parameters (what parameter counts count). */
export function isParameter(t: Tensor): boolean {
  const r = tensorRole(t);
  return r === 'weight' || r === 'buffer';
}

export function tensorByteLength(t: Tensor): number | undefined {
  return t.data?.byteLength;
}
