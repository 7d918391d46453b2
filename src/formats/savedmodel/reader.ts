import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelError } from '../../model/errors';
import type { Model } from '../../model/graph';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { hasIndex, INDEX_PATH, readBundle, type Bundle } from './bundle';
import { buildGraphs, type MetaGraphObj } from './main-graph';
import { SavedModelType, TO_OBJECT } from './schema/tf-protos';
import { readSignatures, servingSignature, type Signature } from './signatures';
import { formatShape } from '../../model/shape';
import type { Tensor } from '../../model/tensor';
import { roleFromName } from '../tensor-roles';

export { readSignatures, servingSignature, type Signature, type SignatureTensor } from './signatures';

/** Protobuf cannot hold more; a saved_model.pb this big is not one (weights live in variables/). */
const MAX_PB_BYTES = 2 ** 31 - 1;
const MARKER = 'saved_model.pb';
const SERVE_TAG = 'serve';

interface MetaObj extends MetaGraphObj {
  metaInfoDef?: { tags?: string[]; tensorflowVersion?: string; tensorflowGitVersion?: string };
  signatureDef?: unknown;
}

export const savedModelReader: FormatDescriptor = {
  id: 'savedmodel',
  name: 'TensorFlow SavedModel',
  formats: ['savedmodel'],
  files: ['**/saved_model.pb'],
  runs: { backends: ['tfjs-node'] },

  match(path: string): boolean {
    return basename(path) === MARKER;
  },

  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    const saved = decodeSavedModel(path, await readPb(path));
    opts.signal?.throwIfAborted();
    const metas = (saved.metaGraphs ?? []) as MetaObj[];
    if (!metas.length) throw new ModelError(path, 'holds no MetaGraph (an empty or truncated SavedModel)');
    const meta = metas.find((m) => m.metaInfoDef?.tags?.includes(SERVE_TAG)) ?? metas[0];
    const dir = dirname(path);
    const bundle = await openCheckpoint(path, dir, meta, opts.signal);
    try {
      opts.signal?.throwIfAborted();
      const signatures = readSignatures(meta.signatureDef);
      const serving = servingSignature(signatures);
      const built = buildGraphs(meta, serving, bundle?.tensors ?? []);
      const info = meta.metaInfoDef ?? {};
      const metadata: Record<string, string> = {
        saved_model_schema_version: String(saved.savedModelSchemaVersion ?? 0),
        tags: (info.tags ?? []).join(', '),
        signatures: signatures.map((s) => (s.method ? `${s.name} (${s.method})` : s.name)).join(', '),
      };
      if (serving) metadata[`signature ${serving.name}`] = describe(serving);
      if (metas.length > 1) metadata.meta_graphs = metas.map((m) => `[${(m.metaInfoDef?.tags ?? []).join(', ')}]`).join(' ');
      metadata.graph = built.mainFunction ? `function ${built.mainFunction} (the body of the serving signature's call)` : 'top-level GraphDef';
      if (bundle) metadata.checkpoint = `${bundle.tensors.length} tensors in ${bundle.numShards} data shard${bundle.numShards === 1 ? '' : 's'}`;
      if (info.tensorflowGitVersion) metadata.tensorflow_git_version = info.tensorflowGitVersion;
      const warnings = [...built.warnings, ...(bundle?.warnings ?? [])];
      const unbound = assignRoles(bundle?.tensors ?? [], built.boundKeys);
      if (unbound) warnings.push(`${unbound} checkpoint tensor${unbound === 1 ? ' is' : 's are'} not read by the serving graph and not named as optimizer state or a counter: counted as parameters`);
      return {
        format: 'savedmodel',
        path,
        producer: { name: 'tensorflow', version: info.tensorflowVersion ?? '' },
        opsets: [],
        metadata,
        graph: built.graph,
        functions: built.functions,
        warnings,
        dataFiles: bundle?.dataFiles ?? [],
        dispose: () => bundle?.close() ?? Promise.resolve(),
      };
    } catch (e) {
      await bundle?.close();
      throw e;
    }
  },
};

/**
 * Checkpoint keys say what a tensor is (`.OPTIMIZER_SLOT`, `optimizer/…`, `save_counter`, `moving_mean`); what the
 * names leave unsaid stays a weight. Returns how many of those the serving graph does not read (when it says what it
 * reads at all), which the caller warns about.
 */
function assignRoles(tensors: Tensor[], bound: ReadonlySet<string>): number {
  let unbound = 0;
  for (const t of tensors) {
    const role = roleFromName(t.name, t.elementCount) ?? (bound.size && !bound.has(t.name) && /^u?int\d+$/.test(t.dtype) && t.elementCount <= 1 ? 'counter' : undefined);
    if (role) t.role = role;
    else if (bound.size && !bound.has(t.name)) unbound++;
  }
  return unbound;
}

/**
 * For a runtime (tfjs-node's `loadSavedModel(dir, tags, signature)`): the serving MetaGraph's tags and signatures
 * of the SavedModel whose saved_model.pb is `path`, the serving one (serving_default when present) first.
 */
export async function readSavedModelSignatures(path: string): Promise<{ tags: string[]; signatures: Signature[] }> {
  const saved = decodeSavedModel(path, await readPb(path));
  const metas = (saved.metaGraphs ?? []) as MetaObj[];
  const meta = metas.find((m) => m.metaInfoDef?.tags?.includes(SERVE_TAG)) ?? metas[0];
  if (!meta) throw new ModelError(path, 'holds no MetaGraph (an empty or truncated SavedModel)');
  const all = readSignatures(meta.signatureDef);
  const serving = servingSignature(all);
  return { tags: meta.metaInfoDef?.tags ?? [], signatures: serving ? [serving, ...all.filter((s) => s !== serving)] : all };
}

async function readPb(path: string): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (s.size > MAX_PB_BYTES) throw new ModelError(path, `is ${s.size} bytes, more than protobuf can hold (2 GiB)`);
    return await readFile(path);
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function decodeSavedModel(path: string, buf: Uint8Array): Record<string, unknown> {
  try {
    return SavedModelType.toObject(SavedModelType.decode(buf), TO_OBJECT);
  } catch (e) {
    // protobufjs says "index out of range: 167 + 7488 > 1001"; the user needs to hear that the file is cut or corrupt.
    const why = String((e as Error).message ?? e).split('\n')[0];
    throw new ModelError(path, `is not a valid SavedModel (truncated or corrupt protobuf: ${why})`);
  }
}

/**
 * The checkpoint, when there is one. A SavedModel without variables/ is valid (constants only), but a graph with
 * variables and no index cannot be shown with its weights: that is an error, as is an index without its shards.
 */
async function openCheckpoint(path: string, dir: string, meta: MetaObj, signal?: AbortSignal): Promise<Bundle | undefined> {
  if (await hasIndex(dir)) return readBundle(dir, signal);
  const hasVariables =
    (meta.graphDef?.node ?? []).some((n) => n.op === 'VarHandleOp' || n.op === 'VariableV2') ||
    (meta.objectGraphDef?.nodes ?? []).some((n) => n.variable);
  if (hasVariables) throw new ModelError(join(dir, INDEX_PATH), `is missing: ${basename(path)}'s graph has variables, whose values live in the checkpoint ${INDEX_PATH}`);
  return undefined;
}

function describe(s: Signature): string {
  const side = (list: Signature['inputs']) => list.map((t) => `${t.key} ${t.dtype ?? '?'}${formatShape(t.shape)} = ${t.tensor}`).join(', ');
  return `inputs: ${side(s.inputs)}; outputs: ${side(s.outputs)}`;
}
