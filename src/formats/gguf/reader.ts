import { assignNameRoles } from '../tensor-roles';
import { readSync } from 'node:fs';
import { withFileSync } from '../sync-file';
import { basename } from 'node:path';
import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { FileRegions } from '../file-regions';
import { GGUF_MAGIC, readGgufHeader, type GgufHeader, type GgufTensorInfo } from './header';
import { ggufMetadata } from './metadata';
import { GGML_TYPES } from './types';

/** llama.cpp's GGUF: one file with the hyperparameters, the tokenizer and the (often block-quantized) weights. */
export const ggufReader: FormatDescriptor = {
  id: 'gguf',
  name: 'GGUF',
  formats: ['gguf'],
  files: ['*.gguf'],
  channelAxis: 'first',
  runs: { backends: ['llama-cpp'] },
  match: (path, head) => /\.gguf$/i.test(path) || (head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === GGUF_MAGIC),
  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    const { header, size } = readHeaderSync(path);
    opts.signal?.throwIfAborted();
    const regions = new FileRegions(path, size);
    const file = basename(path);
    const tensors = header.tensors.map((t) => tensorOf(path, file, header, t, regions, size));
    assignNameRoles(tensors);
    const graph = linkGraph({ name: 'weights', nodes: [], declared: [], inputs: [], outputs: [], initializers: tensors });
    const warnings: string[] = [];
    const misaligned = header.tensors.filter((t) => t.offset % header.alignment !== 0).length;
    if (misaligned) warnings.push(`${misaligned} tensor offsets are not multiples of the alignment (${header.alignment}); llama.cpp would refuse this file`);
    // The file is opened again, lazily, by the regions when tensor bytes are first read.
    return { format: 'gguf', path, opsets: [], metadata: ggufMetadata(header), graph, functions: [], warnings, dispose: () => regions.dispose() };
  },
};

/**
 * One fstat and the header's bytes, synchronously: small reads where the promise API's thread-pool hops would cost
 * more than the reads (a vocabulary makes a few MB at most).
 */
const FIRST_READ = 1024 * 1024;
let firstRead: Uint8Array | undefined;

function readHeaderSync(path: string): { header: GgufHeader; size: number } {
  return withFileSync(path, (fd, size) => {
    const header = readGgufHeader(path, size, (pos, len) => {
      // The first read (up to 1 MiB) goes into a buffer kept between opens: allocating and zeroing it each time cost
      // about as much as the read. The parse copies what it keeps (strings), and this function is synchronous.
      const out = pos === 0 && len <= FIRST_READ ? (firstRead ??= new Uint8Array(FIRST_READ)).subarray(0, len) : new Uint8Array(len);
      for (let done = 0; done < len; ) {
        const n = readSync(fd, out, done, len - done, pos + done);
        if (n === 0) throw new ModelError(path, 'ended early while reading the header (the file changed?)');
        done += n;
      }
      return out;
    });
    return { header, size };
  });
}

function tensorOf(path: string, file: string, h: GgufHeader, info: GgufTensorInfo, regions: FileRegions, size: number): Tensor {
  // Built only for an error: a model has hundreds of tensors and opening it should cost little more than its header.
  const what = () => `tensor "${info.name.length > 200 ? `${info.name.slice(0, 200)}…` : info.name}"`;
  let elementCount = 1;
  for (const d of info.dims) elementCount *= d;
  if (!Number.isSafeInteger(elementCount)) throw new ModelError(path, `${what()} has more elements than can be counted`);
  // GGUF lists dimensions innermost first (ne[0] is the row length); users and llama.cpp's Python tools show them
  // outermost first, as PyTorch did before conversion, so the shape is reversed. The flat element order is unchanged.
  const shape = info.dims.slice().reverse();
  const type = GGML_TYPES.get(info.type);
  const name = info.name;
  if (!type) return { name, shape, elementCount, location: 'inline', dtype: 'unknown', problem: `GGML type ${info.type} is not known to Model Inspector` };
  if (elementCount % type.elements !== 0 || (info.dims[0] ?? 1) % type.elements !== 0) {
    throw new ModelError(path, `${what()}: ${type.name} stores blocks of ${type.elements} values, but its rows have ${info.dims[0] ?? 1}`);
  }
  const bytes = (elementCount / type.elements) * type.bytes;
  const at = h.dataStart + info.offset;
  if (at + bytes > size) throw new ModelError(path, `${what()}: its ${bytes} bytes at ${at} run past the end of the file (${size} bytes): truncated or corrupt`);
  const data = regions.region(at, bytes, name);
  const origin = `${file} @ ${at} (${type.name})`;
  if (type.dtype) return { name, shape, elementCount, location: 'inline', dtype: type.dtype, data, origin };
  if (type.block) return { name, shape, elementCount, location: 'inline', dtype: 'float32', storedDType: 'uint8', quantization: { kind: 'ggml', type: type.block }, data, origin };
  return { name, shape, elementCount, location: 'inline', dtype: 'float32', storedDType: 'uint8', data, origin, problem: `GGML ${type.name} values are not decoded (the type is listed only)` };
}
