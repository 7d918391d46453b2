import { open as openFile, stat } from 'node:fs/promises';
import { ModelError } from '../../model/errors';
import type { Graph, Model } from '../../model/graph';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { FileRegions } from '../file-regions';
import { BoundedByteBuffer, checked, vectorCount } from './flatbuffer';
import { convertSubgraph, opTypeOf, type ModelContext, type SubgraphParts } from './graph';
import * as fb from './schema/tflite_generated';
import type { BufferPlace } from './tensors';

/** A flatbuffer addresses at most 2 GiB; bigger models keep their weights past it (Buffer.offset/size). */
const MAX_FLATBUFFER = 2 ** 31 - 1;
/** Metadata buffers shown as text when they are short printable strings ("min_runtime_version": "1.14.0"). */
const MAX_METADATA_TEXT = 1024;

const IDENTIFIER = 'TFL3';

function hasIdentifier(head: Uint8Array): boolean {
  return head.length >= 8 && String.fromCharCode(head[4], head[5], head[6], head[7]) === IDENTIFIER;
}

/**
 * TensorFlow Lite reader: the flatbuffer is decoded by flatc-generated code (schema/tflite_generated.ts) over a
 * ByteBuffer that refuses reads outside the file; weights stay in the file as lazy regions.
 */
export const tfliteReader: FormatDescriptor = {
  id: 'tflite',
  name: 'TensorFlow Lite',
  formats: ['tflite'],
  files: ['*.tflite'],
  channelAxis: 'first',
  runs: { backends: [], why: 'TensorFlow Lite models are shown, not run: no TFLite interpreter is bundled (tf2onnx converts a .tflite to ONNX, which runs here)' },

  match(path: string, head: Uint8Array): boolean {
    return /\.tflite$/i.test(path) || hasIdentifier(head);
  },

  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    opts.signal?.throwIfAborted();
    const { bytes, size } = await readFlatbuffer(path);
    opts.signal?.throwIfAborted();
    const regions = new FileRegions(path, size);
    try {
      const model = build(path, bytes, size, regions, opts);
      return model;
    } catch (e) {
      await regions.dispose();
      throw e;
    }
  },
};

/** The flatbuffer part of the file (all of it, up to 2 GiB), checked for the TFL3 identifier and a sane root. */
async function readFlatbuffer(path: string): Promise<{ bytes: Uint8Array; size: number }> {
  let size: number;
  let bytes: Uint8Array;
  try {
    size = (await stat(path)).size;
    if (size < 8) throw new ModelError(path, `is ${size} bytes, too short for a TFLite flatbuffer`);
    bytes = new Uint8Array(Math.min(size, MAX_FLATBUFFER));
    const fh = await openFile(path, 'r');
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await fh.read(bytes, done, bytes.length - done, done);
        if (bytesRead === 0) throw new ModelError(path, 'ended while being read (changed on disk?)');
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!hasIdentifier(bytes)) {
    const id = Array.from(bytes.subarray(4, 8), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    throw new ModelError(path, `is not a TFLite model: the flatbuffer file identifier is "${id}", not "${IDENTIFIER}"`);
  }
  const root = new DataView(bytes.buffer).getUint32(0, true);
  if (root + 4 > bytes.length) throw new ModelError(path, `is not a valid TFLite file: the root table offset ${root} is past the end of the file (${size} bytes; truncated?)`);
  return { bytes, size };
}

function build(path: string, bytes: Uint8Array, size: number, regions: FileRegions, opts: OpenOptions): Model {
  const bb = new BoundedByteBuffer(bytes);
  const m = checked(path, 'the root Model table', () => fb.Model.getRootAsModel(bb));
  const warnings: string[] = [];
  const version = checked(path, 'version', () => m.version());
  if (version !== 3) warnings.push(`schema version ${version}; this reader follows version 3`);

  const buffers = readBuffers(path, m, size);
  const codeCount = vectorCount(path, 'operator_codes', size, 4, () => m.operatorCodesLength());
  const opTypes = [];
  for (let i = 0; i < codeCount; i++) {
    const oc = checked(path, `operator code ${i}`, () => m.operatorCodes(i));
    if (!oc) throw new ModelError(path, `is not a valid TFLite file: operator code ${i} is missing`);
    opTypes.push(opTypeOf(path, oc, i));
  }
  const subgraphCount = vectorCount(path, 'subgraphs', size, 4, () => m.subgraphsLength());
  if (subgraphCount === 0) throw new ModelError(path, 'is not a valid TFLite file: it has no subgraphs');
  const ctx: ModelContext = { file: path, size, regions, buffers, opTypes, subgraphCount, warnings };
  const parts: SubgraphParts[] = [];
  for (let i = 0; i < subgraphCount; i++) {
    opts.signal?.throwIfAborted();
    const sg = checked(path, `subgraph ${i}`, () => m.subgraphs(i));
    if (!sg) throw new ModelError(path, `is not a valid TFLite file: subgraph ${i} is missing`);
    parts.push(convertSubgraph(ctx, sg, i));
  }
  const functions = attachSubgraphs(parts);

  const metadata: Record<string, string> = { schema_version: String(version) };
  const description = checked(path, 'description', () => m.description());
  if (description) metadata.description = description;
  if (subgraphCount > 1) metadata.subgraphs = String(subgraphCount);
  readMetadata(path, m, size, bytes, buffers, metadata);
  readSignatures(path, m, size, parts, metadata);
  return {
    format: 'tflite',
    path,
    ...(description ? { producer: { name: description.replace(/\.$/, ''), version: '' } } : {}),
    opsets: [],
    metadata,
    graph: parts[0].graph,
    functions,
    warnings,
    dispose: () => regions.dispose(),
  };
}

/** Where each buffer's bytes are; undefined for empty buffers (activations' sentinel). */
function readBuffers(path: string, m: fb.Model, size: number): (BufferPlace | undefined)[] {
  const n = vectorCount(path, 'buffers', size, 4, () => m.buffersLength());
  const out: (BufferPlace | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const what = `buffer ${i}`;
    const b = checked(path, what, () => m.buffers(i));
    if (!b) throw new ModelError(path, `is not a valid TFLite file: ${what} is missing`);
    // The generated view's byteOffset is the vector's position in the file (bytes starts at offset 0).
    const data = checked(path, `${what} data`, () => b.dataArray());
    if (data && data.length) {
      out.push({ start: data.byteOffset, length: data.length, external: false });
      continue;
    }
    const offset = Number(checked(path, `${what} offset`, () => b.offset()));
    const length = Number(checked(path, `${what} size`, () => b.size()));
    // offset ≤ 1 means "not stored outside" (the converter writes 1 as a placeholder).
    if (offset > 1) {
      if (!Number.isSafeInteger(offset + length) || offset + length > size) {
        throw new ModelError(path, `is not a valid TFLite file: ${what} is stored at bytes [${offset}, ${offset + length}), past the end of the file (${size} bytes; truncated?)`);
      }
      out.push({ start: offset, length, external: true });
    } else out.push(undefined);
  }
  return out;
}

/** Named metadata entries (min_runtime_version, CONVERSION_METADATA, TFLITE_METADATA ...): short text, else a size. */
function readMetadata(path: string, m: fb.Model, size: number, bytes: Uint8Array, buffers: (BufferPlace | undefined)[], out: Record<string, string>): void {
  const n = vectorCount(path, 'metadata', size, 4, () => m.metadataLength());
  for (let i = 0; i < n; i++) {
    const e = checked(path, `metadata ${i}`, () => m.metadata(i));
    if (!e) continue;
    const name = checked(path, `metadata ${i} name`, () => e.name()) || `metadata_${i}`;
    const index = checked(path, `metadata ${i} buffer`, () => e.buffer());
    if (index >= buffers.length) throw new ModelError(path, `is not a valid TFLite file: metadata "${name}" refers to buffer ${index}, but the model has ${buffers.length}`);
    const place = buffers[index];
    if (!place) { out[name] = ''; continue; }
    const inMemory = place.start + place.length <= bytes.length;
    const raw = inMemory && place.length <= MAX_METADATA_TEXT ? bytes.subarray(place.start, place.start + place.length) : undefined;
    // Strings are written NUL-padded to the buffer's alignment.
    const text = raw ? new TextDecoder('utf-8', { fatal: false }).decode(raw).replace(/\0+$/, '') : undefined;
    out[name] = text !== undefined && /^[\x20-\x7e\t\n\r]*$/.test(text) ? text : `${place.length} bytes`;
  }
}

/** SignatureDefs (named entry points: "serving_default") as metadata lines naming their inputs and outputs. */
function readSignatures(path: string, m: fb.Model, size: number, parts: SubgraphParts[], out: Record<string, string>): void {
  const n = vectorCount(path, 'signature_defs', size, 4, () => m.signatureDefsLength());
  for (let i = 0; i < n; i++) {
    const what = `signature ${i}`;
    const s = checked(path, what, () => m.signatureDefs(i));
    if (!s) continue;
    const key = checked(path, `${what} key`, () => s.signatureKey()) || `signature_${i}`;
    const sub = checked(path, `${what} subgraph_index`, () => s.subgraphIndex());
    const g = parts[sub]?.graph;
    if (!g) throw new ModelError(path, `is not a valid TFLite file: signature "${key}" refers to subgraph ${sub}, but the model has ${parts.length}`);
    const names = [...g.values.keys()];
    const maps = (label: string, len: () => number, at: (j: number) => fb.TensorMap | null): string => {
      const count = vectorCount(path, `${what} ${label}`, size, 4, len);
      const items: string[] = [];
      for (let j = 0; j < count; j++) {
        const tm = checked(path, `${what} ${label} ${j}`, () => at(j));
        if (!tm) continue;
        const alias = checked(path, `${what} ${label} ${j} name`, () => tm.name()) ?? '';
        const k = checked(path, `${what} ${label} ${j} tensor_index`, () => tm.tensorIndex());
        items.push(`${alias}=${names[k] ?? `tensor ${k}`}`);
      }
      return `${label} ${items.join(', ')}`;
    };
    out[`signature ${key}`] = `${sub === 0 ? '' : `subgraph ${sub}; `}${maps('inputs', () => s.inputsLength(), (j) => s.inputs(j))}; ${maps('outputs', () => s.outputsLength(), (j) => s.outputs(j))}`;
  }
}

/**
 * Subgraphs run by IF/WHILE/CALL_ONCE/CALL nodes hang under the first node that runs them (walking from subgraph 0,
 * so each graph appears once and cycles cannot form); every node also names the subgraph index as an attribute.
 * Subgraphs no node reaches (other signatures' entry points) become functions.
 */
function attachSubgraphs(parts: SubgraphParts[]): Graph[] {
  const attached = new Set<number>([0]);
  const queue = [0];
  while (queue.length) {
    const p = parts[queue.shift()!];
    for (const [node, calls] of p.calls) {
      for (const c of calls) {
        node.attributes.push({ name: c.attribute, value: { type: 'int', value: c.index } });
        if (attached.has(c.index)) continue;
        attached.add(c.index);
        node.subgraphs.push({ attribute: c.attribute, graph: parts[c.index].graph });
        queue.push(c.index);
      }
    }
  }
  return parts.filter((_, i) => !attached.has(i)).map((p) => p.graph);
}
