import { float16ToNumber } from '../../model/float-bits';
import type { GgmlBlockType, Tensor } from '../../model/tensor';
import { GGML_BLOCKS } from './dequantize';

/** Where each block keeps its scale `d` (the super-block scale for K types): byte offset in the block. */
const D_AT: Readonly<Record<GgmlBlockType, number>> = {
  Q4_0: 0, Q4_1: 0, Q5_0: 0, Q5_1: 0, Q8_0: 0, Q2_K: 80, Q3_K: 108, Q4_K: 0, Q5_K: 0, Q6_K: 208, Q8_K: 0,
};

export interface BlockScaleStats {
  blocks: number;
  min: number;
  max: number;
  mean: number;
  /** Blocks whose scale is 0 (all their values are the block's min, or 0). */
  zero: number;
  /** Blocks whose scale is NaN or infinite (a corrupt block: all its values are too). */
  nonFinite: number;
}

/**
 * Summary of the block scales `d` of a GGML block-quantized tensor (a health view of the quantization: a huge or
 * non-finite d spoils a whole block). Reads the tensor's bytes in chunks of whole blocks; undefined for other tensors.
 */
export async function blockScaleStats(t: Tensor, chunkBlocks = 1 << 14): Promise<BlockScaleStats | undefined> {
  if (t.quantization?.kind !== 'ggml' || !t.data) return undefined;
  const type = t.quantization.type;
  const { bytes: size } = GGML_BLOCKS[type];
  const at = D_AT[type];
  const blocks = Math.floor(t.data.byteLength / size);
  let min = Infinity, max = -Infinity, sum = 0, n = 0, zero = 0, nonFinite = 0;
  for (let b0 = 0; b0 < blocks; b0 += chunkBlocks) {
    const count = Math.min(chunkBlocks, blocks - b0);
    const bytes = await t.data.read(b0 * size, count * size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let b = 0, o = at; b < count; b++, o += size) {
      const d = type === 'Q8_K' ? view.getFloat32(o, true) : float16ToNumber(bytes[o] | (bytes[o + 1] << 8));
      if (!Number.isFinite(d)) {
        nonFinite++;
        continue;
      }
      if (d === 0) zero++;
      if (d < min) min = d;
      if (d > max) max = d;
      sum += d;
      n++;
    }
  }
  return { blocks, min: n ? min : NaN, max: n ? max : NaN, mean: n ? sum / n : NaN, zero, nonFinite };
}
