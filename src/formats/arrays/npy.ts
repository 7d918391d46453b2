import { ModelError } from '../../model/errors';
import type { DType } from '../../model/dtype';
import type { NdArray } from './ndarray';
import { elementCount, fromLittleEndian, storageBytes } from './ndarray';

// NumPy's .npy format: magic, version, a Python-dict header ('descr', 'fortran_order', 'shape'), then raw C-order data.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  f4: 'float32', f8: 'float64', f2: 'float16',
  i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64',
  u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64',
  b1: 'bool',
};

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Decodes one .npy file; `file` names it in errors (for an .npz member: "a.npz/x.npy"). */
export function parseNpy(file: string, bytes: Uint8Array): NdArray {
  if (!isNpy(bytes)) throw new ModelError(file, 'is not a NumPy .npy array (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new ModelError(file, `uses .npy format version ${major}, which is not supported (1-3 are)`);
  }
  if (start + headerLen > bytes.length) throw new ModelError(file, 'is truncated inside the .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ModelError(file, 'has a malformed .npy header (needs descr, fortran_order and shape)');
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ModelError(file, `has an invalid shape (${shapeText})`);
  if (fortran === 'True') throw new ModelError(file, 'is stored in Fortran order; save it with np.ascontiguousarray first');
  const order = descr[0];
  const dtype = DESCR_TO_DTYPE[descr.slice(1)];
  if (!dtype || !'<>|='.includes(order)) throw new ModelError(file, `has element type '${descr}', which is not supported`);
  const n = elementCount(shape);
  const width = storageBytes(dtype)!;
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < n * width) {
    throw new ModelError(file, `is truncated: shape (${shape.join(', ')}) needs ${n * width} bytes, found ${bytes.length - dataStart}`);
  }
  let raw = bytes.subarray(dataStart, dataStart + n * width);
  if (order === '>' && width > 1) raw = swapBytes(raw, width);
  return { dtype, shape, data: fromLittleEndian(dtype, raw, n)! };
}

function swapBytes(src: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += width) for (let j = 0; j < width; j++) out[i + j] = src[i + width - 1 - j];
  return out;
}

/** Encodes an array as .npy version 1.0 (what `np.save` writes for small headers). */
export function encodeNpy(a: NdArray): Uint8Array {
  const code = Object.entries(DESCR_TO_DTYPE).find(([, d]) => d === a.dtype)?.[0];
  if (!code || Array.isArray(a.data)) throw new Error(`cannot save ${a.dtype} arrays as .npy`);
  const descr = (code.endsWith('1') ? '|' : '<') + code;
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad with spaces so the data starts on a 64-byte boundary, ending in '\n' as the spec requires.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const data = a.data as Exclude<NdArray['data'], string[]>;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
