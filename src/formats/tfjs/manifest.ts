import { ModelError } from '../../model/errors';
import { DTYPE_BYTES, type DType } from '../../model/dtype';
import type { ByteSource, Tensor } from '../../model/tensor';
import { manifestDType } from './dtypes';
import { parseQuantization, storedBytesPerElement, type TfjsQuantization } from './quantization';
import { ModelFolder } from '../contained-path';
import { ShardGroup } from './shards';
import { stringWeightBytes } from './strings';

/** More elements than this is a corrupt or hostile manifest, not a real weight; such a weight is never read. */
const MAX_ELEMENTS = 2 ** 40;

export interface WeightSet {
  /** Every manifest weight, in manifest order. */
  readonly tensors: Tensor[];
  readonly byName: Map<string, Tensor>;
  readonly warnings: string[];
  /** The weight shards found, with their sizes. */
  readonly dataFiles: { path: string; bytes: number }[];
  /** Every group's shard bytes, concatenated in manifest order: the `weightData` tfjs loads. */
  readAll(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Turns `weightsManifest` into IR tensors whose ByteSources read the STORED bytes lazily from the shards.
 * Structural nonsense (not a list, a weight without a name), a shard path that leaves the model's folder, and a
 * missing or short shard are a ModelError (the last two naming the shard), so that every verb refuses such a model
 * the same way instead of some showing it without the weights and others failing later; a weight whose manifest entry
 * makes no sense keeps a `problem` and the model still opens.
 */
export async function readWeightsManifest(jsonPath: string, manifest: unknown): Promise<WeightSet> {
  const tensors: Tensor[] = [];
  const byName = new Map<string, Tensor>();
  const warnings: string[] = [];
  const groups: ShardGroup[] = [];
  if (manifest === undefined || manifest === null) return { tensors, byName, warnings, dataFiles: [], readAll: async () => new Uint8Array(0), close: async () => {} };
  if (!Array.isArray(manifest)) throw new ModelError(jsonPath, 'weightsManifest is not a list of weight groups');
  const folder = new ModelFolder(jsonPath);

  for (let g = 0; g < manifest.length; g++) {
    const group = manifest[g] as { paths?: unknown; weights?: unknown } | null;
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelError(jsonPath, `weightsManifest[${g}] needs a "paths" list and a "weights" list`);
    }
    const shards = await ShardGroup.resolve(jsonPath, group.paths, folder);
    groups.push(shards);
    // Two passes: sizes first, so a short shard's message can say how many bytes the whole group needs.
    const specs = group.weights.map((spec: unknown, w: number) => {
      if (typeof spec !== 'object' || spec === null || typeof (spec as { name?: unknown }).name !== 'string') {
        throw new ModelError(jsonPath, `weightsManifest[${g}].weights[${w}] has no name`);
      }
      return { name: (spec as { name: string }).name, laid: layout(spec as Record<string, unknown>) as Layout };
    });
    let needed = 0;
    for (const s of specs) {
      if ('strings' in s.laid) {
        const n = await stringWeightBytes(shards, needed, s.laid.tensor.elementCount);
        s.laid = typeof n === 'number' ? { tensor: s.laid.tensor, byteLength: n } : { tensor: s.laid.tensor, problem: n.problem };
      }
      if (!('byteLength' in s.laid)) break;
      needed += s.laid.byteLength;
    }
    if (needed > shards.readableBytes) throw shards.shortError(needed);
    let offset: number | undefined = 0;
    let lostAt = ''; // the weight whose unknown size hides every later offset
    for (const { name, laid } of specs) {
      const base = { name, location: 'shard' as const, ...laid.tensor };
      let t: Tensor;
      if (!('byteLength' in laid)) {
        // A string weight after the loss point was never scanned: its size is as unknown as its offset.
        t = { ...base, problem: 'problem' in laid ? laid.problem : `its bytes cannot be located: it follows ${lostAt}, whose size is unknown` };
        offset = undefined;
        lostAt ||= name;
      } else if (offset === undefined) {
        t = { ...base, problem: `its bytes cannot be located: it follows ${lostAt}, whose size is unknown` };
      } else {
        t = place(base, laid.byteLength, offset, shards);
        offset += laid.byteLength;
      }
      if (byName.has(t.name)) warnings.push(`weight ${t.name} appears more than once in weightsManifest; the first is shown`);
      else byName.set(t.name, t);
      tensors.push(t);
    }
  }
  return {
    tensors, byName, warnings,
    dataFiles: groups.flatMap((s) => s.dataFiles),
    readAll: async () => {
      const parts = await Promise.all(groups.map((s) => s.read(0, s.readableBytes)));
      const all = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
      let o = 0;
      for (const b of parts) {
        all.set(b, o);
        o += b.byteLength;
      }
      return all;
    },
    close: async () => void (await Promise.all(groups.map((s) => s.close()))),
  };
}

type Layout =
  | { tensor: TensorFields; byteLength: number }
  | { tensor: TensorFields; problem: string }
  /** Variable-length strings: the size is found by scanning the shards. */
  | { tensor: TensorFields; strings: true };

interface TensorFields {
  dtype: DType;
  shape: number[];
  elementCount: number;
  storedDType?: DType;
  quantization?: TfjsQuantization;
}

/** Works out dtype, element count and stored size of one manifest entry without touching any bytes. */
function layout(spec: Record<string, unknown>): Layout {
  const dtype = manifestDType(spec.dtype) ?? 'unknown';
  const rawShape = Array.isArray(spec.shape) ? spec.shape : undefined;
  const shape = rawShape?.every((d) => typeof d === 'number') ? (rawShape as number[]) : [];
  const fields: TensorFields = { dtype, shape, elementCount: 0 };
  if (!rawShape) return { tensor: fields, problem: 'has no shape list' };
  if (!rawShape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    return { tensor: fields, problem: `shape ${JSON.stringify(rawShape)} is not a list of non-negative integers; not read` };
  }
  let count = 1;
  for (const d of shape) count *= d;
  if (count > MAX_ELEMENTS) return { tensor: fields, problem: `shape [${shape.join(', ')}] has ${count} elements (over 2^40); not read` };
  fields.elementCount = count;
  if (dtype === 'unknown') return { tensor: fields, problem: `dtype ${JSON.stringify(spec.dtype)} is not a TF.js weight dtype` };
  if (spec.quantization !== undefined) {
    const q = parseQuantization(spec.quantization);
    if ('problem' in q) return { tensor: fields, problem: q.problem };
    if (dtype !== 'float32' && !(dtype === 'int32' && q.quantization.dtype !== 'float16')) {
      return { tensor: fields, problem: `${q.quantization.dtype} quantization of a ${dtype} weight is not defined by TF.js` };
    }
    fields.storedDType = q.quantization.dtype;
    fields.quantization = q.quantization;
    return { tensor: fields, byteLength: count * storedBytesPerElement(q.quantization) };
  }
  if (dtype === 'string') return { tensor: fields, strings: true };
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) return { tensor: fields, problem: `${dtype} weights are not read` };
  return { tensor: fields, byteLength: count * size };
}

function place(base: Omit<Tensor, 'data' | 'problem'>, byteLength: number, start: number, shards: ShardGroup): Tensor {
  const origin = shards.originOf(start);
  const data: ByteSource = {
    byteLength,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (!(offset >= 0 && length >= 0 && offset + length <= byteLength)) {
        return Promise.reject(new RangeError(`${base.name}: read [${offset}, ${offset + length}) outside its ${byteLength} bytes`));
      }
      return shards.read(start + offset, length);
    },
  };
  return { ...base, origin, data };
}
