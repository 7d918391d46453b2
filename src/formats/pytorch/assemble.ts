import type { Model } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { TensorRef } from './pickle-values';
import { perChannelQuantization } from './quantized';
import type { StateTree } from './state-tree';
import { tensorView, type StorageBytes } from './storage-views';

/** A tensor found in a pickle, with the folder of the archive its storage is in ('data', 'constants'). */
export interface NamedTensor {
  readonly name: string;
  readonly ref: TensorRef;
  readonly folder: string;
}

/** The model from named tensor views: shared by the zip and the legacy layouts. */
export async function assemble(
  path: string,
  named: NamedTensor[],
  storageBytes: (folder: string, key: string, tensorName: string) => StorageBytes,
  bigEndian: boolean,
  facts: Record<string, string>,
  tree: StateTree,
  graphName: string,
  dispose: () => Promise<void>,
): Promise<Model> {
  const initializers: Tensor[] = [];
  for (const t of named) {
    const view = tensorView(path, t.name, t.ref, storageBytes(t.folder, t.ref.storage.key, t.name), bigEndian);
    const perChannel = await perChannelQuantization(path, t.name, t.ref, (r) => storageBytes(t.folder, r.storage.key, t.name), bigEndian);
    initializers.push(perChannel ? { ...view, dtype: 'float32', storedDType: view.dtype, quantization: perChannel } : view);
  }
  const metadata: Record<string, string> = { ...facts };
  for (const [k, v] of Object.entries(tree.scalars)) if (!(k in metadata)) metadata[k] = v;
  const warnings = [...tree.warnings];
  if (initializers.length === 0) warnings.push('the file holds no tensors');
  const quantizedRaw = initializers.filter((t, i) => named[i].ref.quantization && !t.quantization).length;
  if (quantizedRaw) warnings.push(`${quantizedRaw} quantized tensors of a scheme not read are shown as their stored integers`);
  return {
    format: 'pytorch',
    path,
    opsets: [],
    metadata,
    graph: linkGraph({ name: graphName, nodes: [], declared: [], inputs: [], outputs: [], initializers }),
    functions: [],
    warnings,
    dispose,
  };
}
