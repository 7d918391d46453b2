import { dirname } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ModelError, oneLine } from '../../../model/errors';
import type { DType } from '../../../model/dtype';
import type { NdArray } from '../../../formats/arrays/ndarray';
import { readSavedModelSignatures } from '../../../formats/savedmodel/reader';
import type { IoInfo, RuntimeSession } from '../../session';
import { fromTf, toTf } from '../tfjs/session';
import { NEEDS_TFJS_NODE } from './needs-tfjs-node';

/** The part of @tensorflow/tfjs-node this file uses (the package is an optional peer dependency, not installed here). */
interface TfjsNode {
  node: { loadSavedModel(dir: string, tags: string[], signature: string): Promise<{ predict(x: Record<string, tf.Tensor>): tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>; dispose(): void }> };
}


function dtypeOf(d: DType | undefined): DType {
  return d ?? 'unknown';
}

/** Runs a SavedModel's serving signature on tfjs-node, fed and read by the signature's keys. */
export async function loadSavedModel(path: string): Promise<RuntimeSession> {
  let tfn: TfjsNode;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tfn = require('@tensorflow/tfjs-node') as TfjsNode;
  } catch {
    throw new ModelError(path, NEEDS_TFJS_NODE);
  }
  const { tags, signatures } = await readSavedModelSignatures(path);
  const sig = signatures[0];
  if (!sig) throw new ModelError(path, 'has no signature to run (SavedModels run through a SignatureDef such as serving_default)');
  const t0 = performance.now();
  let m: Awaited<ReturnType<TfjsNode['node']['loadSavedModel']>>;
  try {
    m = await tfn.node.loadSavedModel(dirname(path), tags, sig.name);
  } catch (e) {
    throw new ModelError(path, `cannot be loaded by tfjs-node (${oneLine(e)})`);
  }
  const io = (list: typeof sig.inputs): IoInfo[] => list.map((t) => ({ name: t.key, dtype: dtypeOf(t.dtype), shape: t.shape?.map((d) => (typeof d === 'number' && d < 0 ? null : d)) }));
  const inputs = io(sig.inputs);
  const outputs = io(sig.outputs);
  return {
    provider: 'tfjs-node',
    skipped: [],
    loadMs: performance.now() - t0,
    inputs,
    outputs,
    placement: undefined,
    async run(feeds: Map<string, NdArray>): Promise<Map<string, NdArray>> {
      const named: Record<string, tf.Tensor> = {};
      for (const i of inputs) {
        const a = feeds.get(i.name);
        if (!a) throw new ModelError(path, `input ${i.name} was not given`);
        named[i.name] = toTf(a, i.dtype);
      }
      const r = m.predict(named);
      const got: Record<string, tf.Tensor> = r instanceof Array ? Object.fromEntries(r.map((t, k) => [outputs[k]?.name ?? `output_${k}`, t])) : 'dataSync' in r ? { [outputs[0]?.name ?? 'output_0']: r as tf.Tensor } : (r as Record<string, tf.Tensor>);
      const out = new Map<string, NdArray>();
      for (const [k, t] of Object.entries(got)) {
        out.set(k, await fromTf(t));
        t.dispose();
      }
      for (const t of Object.values(named)) t.dispose();
      return out;
    },
    async dispose() {
      m.dispose();
    },
  };
}
