import type { Model } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor, TensorRole } from '../../model/tensor';
import { roleFromName } from '../tensor-roles';
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
    const tensor: Tensor = perChannel ? { ...view, dtype: 'float32', storedDType: view.dtype, quantization: perChannel } : view;
    const role = pytorchRole(t, tensor);
    initializers.push(role ? { ...tensor, role } : tensor);
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

/**
 * By name first (running stats, num_batches_tracked, an optimizer's state); then TorchScript's code constants; then
 * by type: gradient descent fits only floating tensors, so a plain integer or bool tensor is a buffer (position ids,
 * masks) and an integer scalar a counter. Quantized integers (their scheme read or not) stay weights.
 */
function pytorchRole(t: NamedTensor, tensor: Tensor): TensorRole | undefined {
  const byName = roleFromName(t.name, tensor.elementCount);
  if (byName) return byName;
  if (t.folder === 'constants') return 'constant';
  if (t.ref.quantization || tensor.quantization) return undefined;
  if (tensor.dtype === 'bool' || /^u?int\d+$/.test(tensor.dtype)) return tensor.elementCount <= 1 ? 'counter' : 'buffer';
  return undefined;
}
