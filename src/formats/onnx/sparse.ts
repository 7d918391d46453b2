import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { ByteSource, Tensor } from '../../model/tensor';
import type { onnx } from 'onnx-proto';
import { checkRange } from '../byte-sources';
import { checkedDims, convertTensor, type TensorContext, type TensorDraft } from './tensor';

/** Dense forms above this are not materialized (the tensor keeps its shape and gets a problem instead). */
const MAX_DENSE_BYTES = 1024 ** 3;

/**
 * SparseTensorProto → IR Tensor with the dense shape and element count. Its ByteSource densifies on first read
 * (zeros + scattered values), so stats see the tensor the model computes with.
 */
export function convertSparse(sp: onnx.ISparseTensorProto, ctx: TensorContext): Tensor {
  const name = sp.values?.name || sp.indices?.name || '(sparse)';
  const dense = checkedDims(sp.dims);
  const values = convertTensor(sp.values ?? {}, ctx, name);
  const indices = convertTensor(sp.indices ?? {}, ctx, `${name} (indices)`);
  const t: TensorDraft = {
    name, dtype: values.dtype, shape: dense.shape, elementCount: dense.elementCount, location: 'sparse',
    origin: `sparse: ${values.elementCount} stored values`,
  };
  const w = DTYPE_BYTES[values.dtype];
  if (dense.problem) t.problem = dense.problem;
  else if (!sp.values) t.problem = 'sparse tensor has no values';
  else if (values.problem) t.problem = `sparse values ${values.problem}`;
  else if (indices.problem) t.problem = `sparse indices ${indices.problem}`;
  else if (indices.dtype !== 'int64') t.problem = `sparse indices must be int64, not ${indices.dtype}`;
  else if (w === undefined || w < 1) t.problem = `sparse ${values.dtype} tensors are not supported`;
  else if (dense.elementCount * w > MAX_DENSE_BYTES) t.problem = `dense form (${dense.elementCount * w} bytes) is too large to build`;
  else if (values.data && indices.data) t.data = denseSource(ctx.file, t, w, values.data, indices.data, indices.shape);
  else t.problem = 'sparse values or indices in external data are not supported';
  return t;
}

function denseSource(file: string, t: Tensor, w: number, vals: ByteSource, idx: ByteSource, idxShape: number[]): ByteSource {
  const byteLength = t.elementCount * w;
  let dense: Promise<Uint8Array> | undefined;
  const build = async (): Promise<Uint8Array> => {
    const nnz = vals.byteLength / w;
    const v = await vals.read(0, vals.byteLength);
    const ib = await idx.read(0, idx.byteLength);
    const ix = new DataView(ib.buffer, ib.byteOffset, ib.byteLength);
    const rank = t.shape.length;
    // Indices are either linear ([NNZ]) or coordinates ([NNZ, rank]), per the ONNX spec.
    const coords = idxShape.length === 2;
    if (idx.byteLength !== nnz * 8 * (coords ? rank : 1)) throw new ModelError(file, `sparse tensor '${t.name}' has ${idx.byteLength / 8} indices for ${nnz} values`);
    const out = new Uint8Array(byteLength);
    for (let k = 0; k < nnz; k++) {
      let lin = 0;
      if (coords) {
        for (let a = 0; a < rank; a++) {
          const c = Number(ix.getBigInt64((k * rank + a) * 8, true));
          if (c < 0 || c >= t.shape[a]) throw new ModelError(file, `sparse tensor '${t.name}' has index ${c} out of range on axis ${a}`);
          lin = lin * t.shape[a] + c;
        }
      } else {
        lin = Number(ix.getBigInt64(k * 8, true));
        if (lin < 0 || lin >= t.elementCount) throw new ModelError(file, `sparse tensor '${t.name}' has index ${lin} outside ${t.elementCount} elements`);
      }
      out.set(v.subarray(k * w, (k + 1) * w), lin * w);
    }
    return out;
  };
  return {
    byteLength,
    async read(offset, length) {
      checkRange(file, `sparse tensor '${t.name}'`, byteLength, offset, length);
      dense ??= build();
      const bytes = await dense;
      return bytes.subarray(offset, offset + length);
    },
  };
}
