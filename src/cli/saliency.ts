import { writeFile } from 'node:fs/promises';
import type { Model } from '../model/graph';
import { openModelChecked } from '../engine/open';
import { encodeNpy } from '../formats/arrays/npy';
import { explainModel } from '../explain/explain';
import type { ExplainMethod } from '../protocol/explain';
import { EXPLAIN_METHODS } from '../protocol/explain';
import type { RunInputSpec } from '../protocol/run';
import { UsageError } from './args';
import type { Verb } from './verb';
import { modelPathArg } from './verb';

async function tryOpen(path: string): Promise<Model | undefined> {
  try {
    return await openModelChecked(path);
  } catch {
    return undefined; // perturbation methods run on anything onnxruntime / tfjs loads
  }
}

/**
 * Public `--json` contract: {"method","target","shape","deletionAuc","insertionAuc","completeness"?}; `--out` writes
 * the map as float32 .npy (H×W for image inputs, else the input's shape).
 */
export const saliencyVerb: Verb = {
  name: 'saliency',
  summary: 'saliency map (gradients, Grad-CAM, occlusion, RISE) with deletion/insertion AUC',
  usage: `<model> --input file.npy|image --method <${EXPLAIN_METHODS.join('|')}> [--target K] [--dim symbol=value ...] [--ep cpu] [--out map.npy] [--json]`,
  flags: ['input', 'method', 'target', 'out', 'dim', 'ep'],
  async run(args, io) {
    const path = modelPathArg(this, args);
    const method = (args.method ?? 'vanilla') as ExplainMethod;
    if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}, got "${args.method}"`);
    if (args.target !== undefined && !/^\d+$/.test(args.target)) throw new UsageError(`--target needs a whole number, got "${args.target}"`);
    const inputs: RunInputSpec[] = args.inputs.map((i) => (i.name ? { name: i.name, file: i.file } : { file: i.file }));
    const model = await tryOpen(path);
    try {
      const r = await explainModel(path, {
        methods: [method], inputs, dims: args.dims, providers: args.eps, model,
        target: args.target === undefined ? undefined : Number(args.target),
      });
      const m = r.maps[0];
      if (m.error) throw new Error(`${path}: ${m.error}`);
      const full = r.full.get(method)!;
      const shape = m.shape;
      if (args.out) await writeFile(args.out, encodeNpy({ dtype: 'float32', shape, data: full }));
      const json = { method, target: r.target, shape, deletionAuc: m.deletionAuc, insertionAuc: m.insertionAuc, ...(m.completeness !== undefined ? { completeness: m.completeness } : {}) };
      if (args.json) io.out(JSON.stringify(json) + '\n');
      else {
        io.out(`${method} for target ${r.target} (score ${r.score.toFixed(4)}), map [${shape.join('×')}] in ${m.ms.toFixed(0)} ms\n`);
        io.out(`  deletion AUC ${m.deletionAuc.toFixed(4)} (lower = the map found what matters)\n  insertion AUC ${m.insertionAuc.toFixed(4)} (higher is better)\n`);
        if (m.completeness !== undefined) io.out(`  IG completeness residual ${m.completeness.toExponential(2)} (near 0 = attributions add up to the score change)\n`);
        if (args.out) io.out(`  map written to ${args.out}\n`);
      }
      return 0;
    } finally {
      await model?.dispose?.();
    }
  },
};
