import { DTYPE_BYTES } from '../../model/dtype';
import { ModelError } from '../../model/errors';
import type { ByteSource, Tensor } from '../../model/tensor';
import type { FileRegions } from '../file-regions';
import { checked } from './flatbuffer';
import * as fb from './schema/tflite_generated';
import type { BufferPlace } from './tensors';

/** Dense forms above this are not built (the tensor keeps its shape and gets a problem instead). */
const MAX_DENSE_BYTES = 1024 ** 3;

/** Where an index vector's little-endian integers lie in the file (inside the flatbuffer). */
interface IndexPlace { start: number; count: number; width: 1 | 2 | 4 }

/** One position of the traversal: how many entries it walks, and how far one step moves in the dense tensor. */
type Level =
  | { kind: 'dense'; size: number; stride: number }
  | { kind: 'csr'; size: number; stride: number; segments: IndexPlace; indices: IndexPlace };

/**
 * A TFLite tensor with SparsityParameters, as the dense tensor the model computes with: its ByteSource densifies on
 * first read (the schema's traversal: the tensor's dimensions, each possibly split into blocks by block_map, walked in
 * traversal_order; DENSE levels visit every position, SPARSE_CSR levels the listed indices, and the buffer holds one
 * value per leaf in that order; the rest are zeros). Parameters that do not describe the tensor give it a problem.
 */
export function densifiedTensor(regions: FileRegions, t: Tensor, sp: fb.SparsityParameters, place: BufferPlace, what: string): Tensor {
  // The stored (compressed) bytes are not the tensor's values: without usable parameters it has no data.
  const rest = withoutData(t);
  const w = DTYPE_BYTES[t.dtype];
  const origin = `sparse: ${place.length} bytes of stored values, ${t.origin}`;
  let levels: Level[];
  try {
    if (w === undefined || w < 1 || !Number.isInteger(w)) throw new Error(`sparse ${t.dtype} tensors are not supported`);
    if (t.elementCount * w > MAX_DENSE_BYTES) throw new Error(`dense form (${t.elementCount * w} bytes) is too large to build`);
    if (place.length % w !== 0) throw new Error(`its buffer holds ${place.length} bytes, not a whole number of ${t.dtype} values`);
    levels = layout(regions.file, sp, t.shape, what);
  } catch (e) {
    if (!(e instanceof Error) || e instanceof ModelError) throw e;
    return { ...rest, location: 'sparse', origin, problem: `sparse tensor: ${e.message}` };
  }
  const values = regions.region(place.start, place.length, `${what} buffer`);
  return { ...rest, location: 'sparse', origin, data: denseSource(regions, `${what}`, t.elementCount, w, values, levels) };
}

function withoutData({ data, ...rest }: Tensor): Omit<Tensor, 'data'> {
  void data;
  return rest;
}

/** Checks the parameters against the tensor's shape and turns them into traversal levels (Error: what is wrong). */
function layout(file: string, sp: fb.SparsityParameters, shape: number[], what: string): Level[] {
  const order = Array.from(checked(file, `${what} traversal_order`, () => sp.traversalOrderArray()) ?? []);
  const blockMap = Array.from(checked(file, `${what} block_map`, () => sp.blockMapArray()) ?? []);
  const metaCount = checked(file, `${what} dim_metadata`, () => sp.dimMetadataLength());
  const n = shape.length;
  const total = n + blockMap.length;
  if (order.length !== total || metaCount !== total) {
    throw new Error(`traversal_order has ${order.length} and dim_metadata ${metaCount} entries; a rank-${n} tensor with ${blockMap.length} block dimensions needs ${total}`);
  }
  if (new Set(order).size !== total || order.some((d) => !Number.isInteger(d) || d < 0 || d >= total)) {
    throw new Error(`traversal_order [${order.join(', ')}] is not an order of dimensions 0..${total - 1}`);
  }
  if (new Set(blockMap).size !== blockMap.length || blockMap.some((d) => d < 0 || d >= n)) {
    throw new Error(`block_map [${blockMap.join(', ')}] does not name distinct dimensions of a rank-${n} tensor`);
  }
  const metas = Array.from({ length: total }, (_, p) => {
    const m = checked(file, `${what} dim_metadata ${p}`, () => sp.dimMetadata(p));
    if (!m) throw new Error(`dim_metadata ${p} is missing`);
    return m;
  });
  // Expanded dimension e < n: tensor dimension e counted in blocks; e = n + j: the inside of block j.
  const expandedSize = [...shape];
  const denseStride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const expandedStride = [...denseStride];
  blockMap.forEach((d, j) => {
    const p = order.indexOf(n + j);
    const m = metas[p];
    const size = checked(file, `${what} dim_metadata ${p} dense_size`, () => m.denseSize());
    if (checked(file, `${what} dim_metadata ${p} format`, () => m.format()) !== fb.DimensionType.DENSE) throw new Error(`block dimension ${n + j} is not DENSE`);
    if (size <= 0 || shape[d] % size !== 0) throw new Error(`block size ${size} does not divide dimension ${d} (${shape[d]})`);
    expandedSize[d] = shape[d] / size;
    expandedSize.push(size);
    expandedStride[d] = denseStride[d] * size;
    expandedStride.push(denseStride[d]);
  });
  return order.map((e, p): Level => {
    const m = metas[p];
    const size = expandedSize[e];
    const stride = expandedStride[e];
    const format = checked(file, `${what} dim_metadata ${p} format`, () => m.format());
    if (format === fb.DimensionType.DENSE) {
      const dense = checked(file, `${what} dim_metadata ${p} dense_size`, () => m.denseSize());
      if (dense !== size) throw new Error(`dim_metadata ${p} is DENSE with dense_size ${dense}, but dimension ${e} has ${size} positions`);
      return { kind: 'dense', size, stride };
    }
    if (format !== fb.DimensionType.SPARSE_CSR) throw new Error(`dim_metadata ${p} has format ${format}, neither DENSE nor SPARSE_CSR`);
    return {
      kind: 'csr', size, stride,
      segments: indexPlace(file, `${what} dim_metadata ${p} array_segments`, () => m.arraySegmentsType(), (o) => m.arraySegments(o)),
      indices: indexPlace(file, `${what} dim_metadata ${p} array_indices`, () => m.arrayIndicesType(), (o) => m.arrayIndices(o)),
    };
  });
}

function indexPlace(file: string, what: string, type: () => fb.SparseIndexVector, table: (o: unknown) => unknown): IndexPlace {
  const kind = checked(file, `${what} type`, type);
  const make = kind === fb.SparseIndexVector.Int32Vector ? () => new fb.Int32Vector()
    : kind === fb.SparseIndexVector.Uint16Vector ? () => new fb.Uint16Vector()
    : kind === fb.SparseIndexVector.Uint8Vector ? () => new fb.Uint8Vector() : undefined;
  if (!make) throw new Error(`${what.replace(/^.*?dim_metadata/, 'dim_metadata')} is missing (SPARSE_CSR needs array_segments and array_indices)`);
  const v = checked(file, what, () => table(make()) as fb.Int32Vector | fb.Uint16Vector | fb.Uint8Vector | null);
  // The views' byteOffset is the vector's position in the file: the reader's flatbuffer bytes start at offset 0.
  const arr = v ? checked(file, what, () => v.valuesArray()) : null;
  if (!arr) throw new Error(`${what.replace(/^.*?dim_metadata/, 'dim_metadata')} has no values`);
  return { start: arr.byteOffset, count: arr.length, width: arr.BYTES_PER_ELEMENT as 1 | 2 | 4 };
}

function denseSource(regions: FileRegions, what: string, elementCount: number, w: number, values: ByteSource, levels: Level[]): ByteSource {
  const file = regions.file;
  const byteLength = elementCount * w;
  let dense: Promise<Uint8Array> | undefined;
  const fail = (problem: string) => new ModelError(file, `${what}: sparse tensor ${problem}`);
  const readIndices = async (p: IndexPlace, label: string): Promise<Int32Array> => {
    const b = await regions.region(p.start, p.count * p.width, `${what} ${label}`).read(0, p.count * p.width);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const out = new Int32Array(p.count);
    for (let i = 0; i < p.count; i++) out[i] = p.width === 4 ? view.getInt32(i * 4, true) : p.width === 2 ? view.getUint16(i * 2, true) : view.getUint8(i);
    return out;
  };
  const build = async (): Promise<Uint8Array> => {
    const stored = await values.read(0, values.byteLength);
    const nStored = stored.byteLength / w;
    const arrays = await Promise.all(levels.map(async (l, p) => (l.kind === 'csr'
      ? { segments: await readIndices(l.segments, `level ${p} array_segments`), indices: await readIndices(l.indices, `level ${p} array_indices`) }
      : undefined)));
    const out = new Uint8Array(byteLength);
    let next = 0;
    // pos: this level's parent position, numbered across all parents (what a CSR level's segments are indexed by).
    const visit = (level: number, pos: number, offset: number): void => {
      if (level === levels.length) {
        if (next >= nStored) throw fail(`addresses more values than its buffer holds (${nStored})`);
        out.set(stored.subarray(next * w, next * w + w), offset * w);
        next++;
        return;
      }
      const l = levels[level];
      if (l.kind === 'dense' && level === levels.length - 1 && l.stride === 1) {
        // The innermost level runs along contiguous elements (a block's row, a dense row): one copy for the run.
        if (next + l.size > nStored) throw fail(`addresses more values than its buffer holds (${nStored})`);
        out.set(stored.subarray(next * w, (next + l.size) * w), offset * w);
        next += l.size;
        return;
      }
      if (l.kind === 'dense') {
        for (let i = 0; i < l.size; i++) visit(level + 1, pos * l.size + i, offset + i * l.stride);
        return;
      }
      const { segments, indices } = arrays[level]!;
      if (pos + 1 >= segments.length) throw fail(`level ${level} has ${segments.length} array_segments, too few for position ${pos}`);
      const from = segments[pos];
      const to = segments[pos + 1];
      if (from < 0 || to < from || to > indices.length) throw fail(`level ${level} array_segments [${from}, ${to}) do not lie in its ${indices.length} array_indices`);
      for (let i = from; i < to; i++) {
        const c = indices[i];
        if (c < 0 || c >= l.size) throw fail(`level ${level} index ${c} is outside its ${l.size} positions`);
        visit(level + 1, i, offset + c * l.stride);
      }
    };
    visit(0, 0, 0);
    if (next !== nStored) throw fail(`addresses ${next} values but its buffer holds ${nStored}`);
    return out;
  };
  return {
    byteLength,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > byteLength) throw new ModelError(file, `${what}: read of [${offset}, ${offset + length}) is outside its ${byteLength} bytes`);
      dense ??= build();
      const bytes = await dense;
      return bytes.subarray(offset, offset + length);
    },
  };
}
