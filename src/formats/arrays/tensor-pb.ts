import { onnx } from 'onnx-proto';
import { ModelError } from '../../model/errors';
import type { DType } from '../../model/dtype';
import type { NdArray, NdData } from './ndarray';
import { allocData, elementCount, fromLittleEndian, storageBytes } from './ndarray';

// A serialized ONNX TensorProto (the input_N.pb / output_N.pb files of ONNX backend tests and onnx.numpy_helper).

const DATA_TYPE: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

type LongLike = number | { toNumber(): number; toString(): string };
const toNum = (x: LongLike): number => (typeof x === 'number' ? x : x.toNumber());
const toBig = (x: LongLike): bigint => BigInt(typeof x === 'number' ? x : x.toString());

/** Decodes one TensorProto file. The tensor's own name (if any) is returned so files can be matched to inputs. */
export function parseTensorPb(file: string, bytes: Uint8Array): { name: string; array: NdArray } {
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new ModelError(file, `is not a valid ONNX TensorProto (${(e as Error).message})`);
  }
  const dtype = DATA_TYPE[t.dataType];
  if (!dtype) throw new ModelError(file, `holds ONNX data type ${t.dataType}, which is not supported as an input`);
  const shape = t.dims.map((d) => toNum(d as LongLike));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ModelError(file, 'has an invalid shape');
  const n = elementCount(shape);
  // Every element takes at least one byte on the wire (raw or varint): a larger count means this is not a tensor
  // (e.g. a SequenceProto decoded as one) and must not become a huge allocation.
  if (n > bytes.length && !(dtype === 'string' && t.stringData.length === n)) {
    throw new ModelError(file, `claims ${n} elements but holds only ${bytes.length} bytes (not a TensorProto?)`);
  }
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new ModelError(file, 'stores its data externally; not supported for input files');
  let data: NdData | undefined;
  if (dtype === 'string') {
    data = t.stringData.map((b) => new TextDecoder().decode(b));
  } else if (t.rawData && t.rawData.length > 0) {
    const need = n * storageBytes(dtype)!;
    if (t.rawData.length < need) throw new ModelError(file, `raw_data has ${t.rawData.length} bytes, shape needs ${need}`);
    data = fromLittleEndian(dtype, t.rawData, n);
  } else {
    data = allocData(dtype, n)!;
    const typed = data as Exclude<NdData, string[]>;
    const src: ArrayLike<LongLike> =
      dtype === 'float32' ? t.floatData
      : dtype === 'float64' ? t.doubleData
      : dtype === 'int64' ? t.int64Data
      : dtype === 'uint32' || dtype === 'uint64' ? t.uint64Data
      : t.int32Data; // int8/16/32, uint8/16, bool, float16/bfloat16 bits all live in int32_data
    if (src.length < n) throw new ModelError(file, `has ${src.length} values, shape needs ${n}`);
    for (let i = 0; i < n; i++) {
      if (typed instanceof BigInt64Array || typed instanceof BigUint64Array) typed[i] = toBig(src[i]);
      else typed[i] = toNum(src[i]);
    }
  }
  if (!data || (dtype === 'string' && data.length !== n)) throw new ModelError(file, 'holds fewer values than its shape needs');
  return { name: t.name ?? '', array: { dtype, shape, data } };
}
