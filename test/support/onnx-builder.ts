/**
 * Writes small ONNX models for tests, through onnx-proto's generated encoder (the same code the reader decodes with).
 *
 *   const b = new OnnxBuilder()
 *     .input('x', 'float32', ['batch', 3])
 *     .initializer('W', 'float32', [3, 2], [1, 2, 3, 4, 5, 6])
 *     .node('MatMul', ['x', 'W'], ['y'], {}, { name: '/layer0/MatMul' })
 *     .output('y', 'float32', ['batch', 2]);
 *   const bytes = b.toBytes();                                    // in memory
 *   const path = writeModel(dir, 'm.onnx', b, { externalData: 'weights.bin' }); // on disk
 *
 * Attributes: plain JS values are mapped by shape (integer → int, other number → float, string, number[] → ints or
 * floats, bigint → int64, OnnxBuilder → graph, OnnxBuilder[] → graphs, TensorSpec → tensor); use `attr.*` to force
 * a type (e.g. `attr.float(1)`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import type { DType } from '../../src/model/dtype';
import type { Dim } from '../../src/model/shape';
import { floatToHalf } from '../../src/model/float-bits';

export const ONNX_DTYPE_CODE: Readonly<Partial<Record<DType, number>>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10,
  float64: 11, uint32: 12, uint64: 13, complex64: 14, complex128: 15, bfloat16: 16,
};

export type TensorData = ArrayLike<number> | readonly bigint[] | readonly string[];

/** How an initializer stores its values: raw_data bytes, the typed field ONNX prescribes, or an external file. */
export type Storage = 'raw' | 'typed' | 'external';

export interface TensorSpec {
  readonly kind: 'tensor';
  name: string;
  dtype: DType;
  shape: number[];
  data: TensorData;
  storage: Storage;
  /** Explicit external_data entries (for bad-path tests); no bytes are written for such tensors. */
  externalRef?: Record<string, string>;
  /** Overrides the encoded raw_data (for size-mismatch tests). */
  rawBytes?: Uint8Array;
}

type AttrInput = number | bigint | string | number[] | string[] | OnnxBuilder | OnnxBuilder[] | TensorSpec | onnx.IAttributeProto;

const A = onnx.AttributeProto.AttributeType;

/** Typed attribute constructors for when the plain-value mapping guesses wrong. */
export const attr = {
  int: (v: number | bigint): onnx.IAttributeProto => ({ type: A.INT, i: toLong(v) }),
  float: (v: number): onnx.IAttributeProto => ({ type: A.FLOAT, f: v }),
  floats: (v: number[]): onnx.IAttributeProto => ({ type: A.FLOATS, floats: v }),
  ints: (v: (number | bigint)[]): onnx.IAttributeProto => ({ type: A.INTS, ints: v.map((x) => toLong(x)) }),
  string: (v: string): onnx.IAttributeProto => ({ type: A.STRING, s: new TextEncoder().encode(v) }),
  ref: (refAttrName: string, type: onnx.AttributeProto.AttributeType): onnx.IAttributeProto => ({ type, refAttrName }),
};

/** A tensor value for `.initializer`-like use in attributes (Constant's `value`). */
export function tensor(name: string, dtype: DType, shape: number[], data: TensorData, storage: Storage = 'raw'): TensorSpec {
  return { kind: 'tensor', name, dtype, shape, data, storage };
}

export class OnnxBuilder {
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly valueInfos: onnx.IValueInfoProto[] = [];
  private readonly tensors: TensorSpec[] = [];
  private readonly sparse: { values: TensorSpec; indices: number[]; dims: number[] }[] = [];
  private readonly nodes: { opType: string; inputs: string[]; outputs: string[]; attrs: Record<string, AttrInput>; name?: string; domain?: string }[] = [];
  private readonly opsets: { domain: string; version: number }[] = [];
  private readonly meta: Record<string, string> = {};
  private readonly functions: onnx.IFunctionProto[] = [];
  irVersion = 8;
  producer = { name: 'onnx-builder', version: '1' };

  constructor(readonly graphName = 'test') {}

  opset(domain: string, version: number): this {
    this.opsets.push({ domain, version });
    return this;
  }

  metadata(key: string, value: string): this {
    this.meta[key] = value;
    return this;
  }

  /** `shape` dims: number (static), string (symbolic), null (unknown); omit `shape` for unknown rank. */
  input(name: string, dtype: DType, shape?: Dim[]): this {
    this.inputs.push(valueInfo(name, dtype, shape));
    return this;
  }

  output(name: string, dtype: DType = 'float32', shape?: Dim[]): this {
    this.outputs.push(valueInfo(name, dtype, shape));
    return this;
  }

  valueInfo(name: string, dtype: DType, shape?: Dim[]): this {
    this.valueInfos.push(valueInfo(name, dtype, shape));
    return this;
  }

  initializer(name: string, dtype: DType, shape: number[], data: TensorData, opts: { storage?: Storage; externalRef?: Record<string, string>; rawBytes?: Uint8Array } = {}): this {
    this.tensors.push({ ...tensor(name, dtype, shape, data, opts.externalRef ? 'external' : opts.storage ?? 'raw'), externalRef: opts.externalRef, rawBytes: opts.rawBytes });
    return this;
  }

  /** Sparse initializer with linear indices into the dense shape. */
  sparseInitializer(name: string, dtype: DType, denseShape: number[], indices: number[], values: number[]): this {
    this.sparse.push({ values: tensor(name, dtype, [values.length], values), indices, dims: denseShape });
    return this;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInput> = {}, opts: { name?: string; domain?: string } = {}): this {
    this.nodes.push({ opType, inputs, outputs, attrs, ...opts });
    return this;
  }

  /** Model-local function; `body` supplies its nodes (its inputs/outputs/initializers are ignored). */
  function(domain: string, name: string, inputs: string[], outputs: string[], body: OnnxBuilder, attributes: string[] = []): this {
    this.functions.push({
      domain, name, input: inputs, output: outputs, attribute: attributes,
      node: body.nodeProtos(), opsetImport: [{ domain: '', version: 17 }],
    });
    return this;
  }

  /** The GraphProto; external tensors get their entries from `external` (name → bytes placement). */
  toGraph(external = new ExternalWriter()): onnx.IGraphProto {
    return {
      name: this.graphName,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
      initializer: this.tensors.map((t) => tensorProto(t, external)),
      sparseInitializer: this.sparse.map((s) => ({
        values: tensorProto(s.values, external),
        indices: tensorProto(tensor('', 'int64', [s.indices.length], s.indices), external),
        dims: s.dims,
      })),
      node: this.nodeProtos(external),
    };
  }

  toModel(external = new ExternalWriter()): onnx.IModelProto {
    return {
      irVersion: this.irVersion,
      producerName: this.producer.name,
      producerVersion: this.producer.version,
      opsetImport: this.opsets.length ? this.opsets : [{ domain: '', version: 17 }],
      metadataProps: Object.entries(this.meta).map(([key, value]) => ({ key, value })),
      graph: this.toGraph(external),
      functions: this.functions,
    };
  }

  /** Encoded model; external tensors are not allowed here (use writeModel). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(this.toModel())).finish();
  }

  nodeProtos(ext = new ExternalWriter()): onnx.INodeProto[] {
    return this.nodes.map((n) => ({
      opType: n.opType, input: n.inputs, output: n.outputs, name: n.name ?? '', domain: n.domain ?? '',
      attribute: Object.entries(n.attrs).map(([name, v]) => ({ ...attribute(v, ext), name })),
    }));
  }
}

/** Collects the bytes of external tensors into one data file, recording each tensor's offset and length. */
export class ExternalWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  constructor(readonly location = 'weights.bin', readonly align = 16) {}

  place(bytes: Uint8Array): { offset: number; length: number } {
    const pad = (this.align - (this.size % this.align)) % this.align;
    if (pad) this.chunks.push(new Uint8Array(pad));
    const offset = this.size + pad;
    this.chunks.push(bytes);
    this.size = offset + bytes.length;
    return { offset, length: bytes.length };
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

/** Writes `<dir>/<name>` and, when the model has external tensors, `<dir>/<externalData>`; returns the model path. */
export function writeModel(dir: string, name: string, b: OnnxBuilder, opts: { externalData?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  const ext = new ExternalWriter(opts.externalData ?? 'weights.bin');
  const model = b.toModel(ext);
  const path = join(dir, name);
  writeFileSync(path, onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish());
  const data = ext.bytes();
  if (data.length) writeFileSync(join(dir, ext.location), data);
  return path;
}

function valueInfo(name: string, dtype: DType, shape?: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: code(dtype),
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) } : undefined,
      },
    },
  };
}

function attribute(v: AttrInput, ext: ExternalWriter): onnx.IAttributeProto {
  if (v instanceof OnnxBuilder) return { type: A.GRAPH, g: v.toGraph(ext) };
  if (Array.isArray(v) && v.length && v[0] instanceof OnnxBuilder) return { type: A.GRAPHS, graphs: (v as OnnxBuilder[]).map((b) => b.toGraph(ext)) };
  if (typeof v === 'bigint') return attr.int(v);
  if (typeof v === 'number') return Number.isInteger(v) ? attr.int(v) : attr.float(v);
  if (typeof v === 'string') return attr.string(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? attr.ints(nums) : attr.floats(nums);
  }
  if ((v as TensorSpec).kind === 'tensor') return { type: A.TENSOR, t: tensorProto(v as TensorSpec, ext) };
  return v as onnx.IAttributeProto;
}

function code(dtype: DType): number {
  const c = ONNX_DTYPE_CODE[dtype];
  if (c === undefined) throw new Error(`onnx-builder: no ONNX code for ${dtype}`);
  return c;
}

function tensorProto(t: TensorSpec, ext: ExternalWriter): onnx.ITensorProto {
  const base: onnx.ITensorProto = { name: t.name, dataType: code(t.dtype), dims: t.shape };
  if (t.externalRef) {
    return { ...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: Object.entries(t.externalRef).map(([key, value]) => ({ key, value })) };
  }
  if (t.storage === 'external') {
    const { offset, length } = ext.place(encodeLE(t.dtype, t.data));
    return {
      ...base, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [{ key: 'location', value: ext.location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(length) }],
    };
  }
  if (t.storage === 'raw') return { ...base, rawData: t.rawBytes ?? encodeLE(t.dtype, t.data) };
  return { ...base, ...typedFields(t.dtype, t.data) };
}

/** The typed field ONNX prescribes for each dtype (16-bit floats as bit patterns in int32_data). */
function typedFields(dtype: DType, data: TensorData): onnx.ITensorProto {
  const nums = () => Array.from(data as ArrayLike<number>);
  switch (dtype) {
    case 'float32': case 'complex64': return { floatData: nums() };
    case 'float64': case 'complex128': return { doubleData: nums() };
    case 'int64': return { int64Data: Array.from(data as ArrayLike<number | bigint>, (v) => toLong(v)) };
    case 'uint64': case 'uint32': return { uint64Data: Array.from(data as ArrayLike<number | bigint>, (v) => toLong(v, true)) };
    case 'string': return { stringData: (data as string[]).map((s) => new TextEncoder().encode(s)) };
    case 'float16': return { int32Data: nums().map(floatToHalf) };
    case 'bfloat16': return { int32Data: nums().map((v) => new Uint32Array(new Float32Array([v]).buffer)[0] >>> 16) };
    default: return { int32Data: nums() };
  }
}

/** Values → little-endian bytes of `dtype` (what raw_data and external files hold). */
export function encodeLE(dtype: DType, data: TensorData): Uint8Array {
  const n = data.length;
  const w: Partial<Record<DType, number>> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8 };
  const width = w[dtype];
  if (width === undefined) throw new Error(`onnx-builder: cannot encode ${dtype} as bytes`);
  const out = new Uint8Array(n * width);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = (data as ArrayLike<number | bigint>)[i];
    switch (dtype) {
      case 'float32': dv.setFloat32(i * 4, Number(v), true); break;
      case 'float64': dv.setFloat64(i * 8, Number(v), true); break;
      case 'float16': dv.setUint16(i * 2, floatToHalf(Number(v)), true); break;
      case 'bfloat16': dv.setUint16(i * 2, new Uint32Array(new Float32Array([Number(v)]).buffer)[0] >>> 16, true); break;
      case 'int8': dv.setInt8(i, Number(v)); break;
      case 'uint8': case 'bool': dv.setUint8(i, Number(v)); break;
      case 'int16': dv.setInt16(i * 2, Number(v), true); break;
      case 'uint16': dv.setUint16(i * 2, Number(v), true); break;
      case 'int32': dv.setInt32(i * 4, Number(v), true); break;
      case 'uint32': dv.setUint32(i * 4, Number(v), true); break;
      case 'int64': dv.setBigInt64(i * 8, BigInt(v), true); break;
      case 'uint64': dv.setBigUint64(i * 8, BigInt(v), true); break;
    }
  }
  return out;
}


/** Number/bigint → what protobufjs accepts for int64 fields without losing precision. */
function toLong(v: number | bigint, unsigned = false): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const u = BigInt.asUintN(64, BigInt(v));
  // protobufjs' writer takes any {low, high} object for int64 fields; typed as number to fit onnx-proto's types.
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned } as unknown as number;
}
