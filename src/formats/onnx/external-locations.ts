import { open, readFile } from 'node:fs/promises';
import { onnx } from 'onnx-proto';
import { ModelError } from '../../model/errors';
import { ModelFolder } from '../contained-path';

/**
 * The gate in front of onnxruntime, which reads external data itself when a session is created: every external
 * data `location` in an ONNX file is held to the model's folder (contained-path.ts) before the file is handed over.
 * Without building the IR: a file whose bytes never spell "location" has no external data (ORT finds a tensor's
 * file only under that key), so most models cost one streamed scan and no decode.
 */
export async function checkOnnxDataPaths(modelFile: string, decoded?: onnx.ModelProto): Promise<void> {
  let model = decoded;
  if (!model) {
    if (!(await fileContains(modelFile, LOCATION))) return;
    const bytes = await readFile(modelFile).catch((e: NodeJS.ErrnoException) => {
      throw new ModelError(modelFile, `cannot be read (${e.code ?? String(e)})`);
    });
    try {
      model = onnx.ModelProto.decode(bytes);
    } catch (e) {
      // Unverifiable paths are not handed on: refuse rather than let onnxruntime read what we could not check.
      throw new ModelError(modelFile, `is not a valid ONNX file (${String((e as Error).message).split('\n')[0]}); its external data paths cannot be checked`);
    }
  }
  const folder = new ModelFolder(modelFile);
  for (const { tensor, location } of externalLocations(model)) {
    const found = await folder.locate(location, 'external data path', `tensor '${tensor}'`);
    if (found.kind === 'not-file') throw new ModelError(modelFile, `external data path '${location}' (tensor '${tensor}') is not a regular file`);
  }
}

const LOCATION = Buffer.from('location');

/** Every tensor of the model (all graphs, subgraphs, functions, sparse parts) that names an external data file. */
export function externalLocations(model: onnx.IModelProto): { tensor: string; location: string }[] {
  const out: { tensor: string; location: string }[] = [];
  const tensor = (t: onnx.ITensorProto | null | undefined) => {
    for (const e of t?.externalData ?? []) {
      // Any tensor naming a file is checked, whatever its data_location says: stricter than ORT, never looser.
      if (e.key === 'location') out.push({ tensor: t?.name ?? '', location: e.value ?? '' });
    }
  };
  const sparse = (s: onnx.ISparseTensorProto | null | undefined) => {
    tensor(s?.values);
    tensor(s?.indices);
  };
  // An explicit stack: subgraphs nest as deep as a hostile file likes.
  const graphs: (onnx.IGraphProto | null | undefined)[] = [model.graph];
  const nodes: onnx.INodeProto[] = (model.functions ?? []).flatMap((f) => f.node ?? []);
  for (;;) {
    const n = nodes.pop();
    if (n) {
      for (const a of n.attribute ?? []) {
        tensor(a.t);
        (a.tensors ?? []).forEach(tensor);
        sparse(a.sparseTensor);
        (a.sparseTensors ?? []).forEach(sparse);
        graphs.push(a.g, ...(a.graphs ?? []));
      }
      continue;
    }
    if (!graphs.length) break;
    const g = graphs.pop();
    if (!g) continue;
    (g.initializer ?? []).forEach(tensor);
    (g.sparseInitializer ?? []).forEach(sparse);
    for (const n2 of g.node ?? []) nodes.push(n2); // not push(...): a 200k-node graph overflows the argument list
  }
  return out;
}

/** Whether `needle` occurs in the file, read in chunks (a model with embedded weights can be gigabytes). */
async function fileContains(path: string, needle: Buffer): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const chunk = Buffer.alloc(4 << 20);
    const keep = needle.length - 1;
    let have = 0; // bytes carried over from the previous chunk's end
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, have, chunk.length - have, pos);
      if (bytesRead === 0) return false;
      pos += bytesRead;
      const filled = have + bytesRead;
      if (chunk.subarray(0, filled).includes(needle)) return true;
      have = Math.min(keep, filled);
      chunk.copy(chunk, 0, filled - have, filled);
    }
  } finally {
    await fh.close();
  }
}
