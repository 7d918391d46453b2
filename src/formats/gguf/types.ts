import type { DType } from '../../model/dtype';
import type { GgmlBlockType } from '../../model/tensor';
import { GGML_BLOCKS } from './dequantize';

/** How a GGML tensor type is stored and what the IR makes of it. */
export interface GgmlType {
  readonly name: string;
  /** Elements and bytes per block (1 element for the plain types). */
  readonly elements: number;
  readonly bytes: number;
  /** Plain types map to an IR dtype directly. */
  readonly dtype?: DType;
  /** Block types the dequantizer decodes. */
  readonly block?: GgmlBlockType;
}

const plain = (name: string, dtype: DType, bytes: number): GgmlType => ({ name, elements: 1, bytes, dtype });
const blocked = (name: GgmlBlockType): GgmlType => ({ name, ...GGML_BLOCKS[name], block: name });
/** Listed with their sizes so the file's layout is checked, but their values are not decoded. */
const listed = (name: string, elements: number, bytes: number): GgmlType => ({ name, elements, bytes });

/** ggml_type ids as written in GGUF tensor infos (gaps are ids ggml retired). */
export const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map([
  [0, plain('F32', 'float32', 4)],
  [1, plain('F16', 'float16', 2)],
  [2, blocked('Q4_0')],
  [3, blocked('Q4_1')],
  [6, blocked('Q5_0')],
  [7, blocked('Q5_1')],
  [8, blocked('Q8_0')],
  [9, listed('Q8_1', 32, 36)],
  [10, blocked('Q2_K')],
  [11, blocked('Q3_K')],
  [12, blocked('Q4_K')],
  [13, blocked('Q5_K')],
  [14, blocked('Q6_K')],
  [15, blocked('Q8_K')],
  [16, listed('IQ2_XXS', 256, 66)],
  [17, listed('IQ2_XS', 256, 74)],
  [18, listed('IQ3_XXS', 256, 98)],
  [19, listed('IQ1_S', 256, 50)],
  [20, listed('IQ4_NL', 32, 18)],
  [21, listed('IQ3_S', 256, 110)],
  [22, listed('IQ2_S', 256, 82)],
  [23, listed('IQ4_XS', 256, 136)],
  [24, plain('I8', 'int8', 1)],
  [25, plain('I16', 'int16', 2)],
  [26, plain('I32', 'int32', 4)],
  [27, plain('I64', 'int64', 8)],
  [28, plain('F64', 'float64', 8)],
  [29, listed('IQ1_M', 256, 56)],
  [30, plain('BF16', 'bfloat16', 2)],
  [34, listed('TQ1_0', 256, 54)],
  [35, listed('TQ2_0', 256, 66)],
  [39, listed('MXFP4', 32, 17)],
  [40, listed('NVFP4', 64, 36)],
  [41, listed('Q1_0', 128, 18)],
]);

/** llama.cpp's general.file_type values (LLAMA_FTYPE_MOSTLY_*), for the Overview. */
export const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 4: 'Q4_1 (some F16)', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1',
  10: 'Q2_K', 11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M', 18: 'Q6_K',
  19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S', 25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M',
  28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M', 32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE', 39: 'NVFP4', 40: 'Q1_0',
};
