import { writeFile } from 'node:fs/promises';
import { ModelError } from '../model/errors';
import { openModelChecked } from '../engine/open';
import { encodeNpy } from '../formats/arrays/npy';
import { explainModel } from '../explain/explain';
import { sessions } from '../runtime/load';
import { bindCliServer, checkServerFlags, SERVER_FLAGS } from './server';
import { serverLine } from './run';
import type { ExplainMethod, ExplainOptions } from '../protocol/explain';
import { EXPLAIN_METHODS, explainOptionsCheck } from '../protocol/explain';
import { TOKEN_METHODS } from '../protocol/prompt';
import type { InputUsed, RunInputSpec } from '../protocol/run';
import type { MethodOptionFlag } from './args';
import { METHOD_OPTION_FLAGS, UsageError } from './args';
import type { Verb } from './verb';
import { saliencyPromptCli } from './prompt';
import { modelPathArg, writeOrSay } from './verb';

const IG_BASELINES = ['black', 'blurred', 'noise'] as const;

/** Which method each setting belongs to: a setting for another method is refused, not silently ignored. */
export const OPTION_METHODS: Record<MethodOptionFlag, readonly ExplainMethod[]> = {
  noise: ['smoothgrad'], samples: ['smoothgrad'], steps: ['ig'], baseline: ['ig'], layer: ['gradcam'],
  window: ['occlusion'], stride: ['occlusion'], fill: ['occlusion', 'rise'], masks: ['rise'], grid: ['rise'], keep: ['rise'],
};

/** What each setting's value looks like in the usage line. */
const OPTION_VALUES: Record<MethodOptionFlag, string> = {
  noise: 'F', samples: 'N', steps: 'N', baseline: 'black|blurred|noise|FILE', layer: 'NAME',
  window: 'N', stride: 'N', fill: 'F', masks: 'N', grid: 'N', keep: 'F',
};

/** The method settings of the usage line, per method, from OPTION_METHODS (so a setting two methods share is listed under both). */
function methodSettingsUsage(): string {
  const flags = Object.keys(OPTION_METHODS) as MethodOptionFlag[];
  return EXPLAIN_METHODS.map((m) => flags.filter((f) => OPTION_METHODS[f].includes(m)).map((f) => `--${f} ${OPTION_VALUES[f]}`))
    .map((parts, i) => (parts.length ? ` [${parts.join(' ')} (${EXPLAIN_METHODS[i]})]` : ''))
    .join('');
}

/**
 * The method settings given as flags, checked against the same bounds as the panel's requests. `--baseline` is a
 * keyword (black, blurred, noise) or a file (an image or array shaped like the input).
 */
export function methodOptions(method: ExplainMethod, given: Partial<Record<MethodOptionFlag, string>>): ExplainOptions {
  const o: Record<string, string | number> = {};
  for (const [flag, v] of Object.entries(given) as [MethodOptionFlag, string][]) {
    if (!OPTION_METHODS[flag].includes(method)) throw new UsageError(`--${flag} is a setting of ${OPTION_METHODS[flag].join(' and ')}, not of ${method}`);
    if (flag === 'layer') o.layer = v;
    else if (flag === 'baseline') o[(IG_BASELINES as readonly string[]).includes(v) ? 'baseline' : 'baselineFile'] = v;
    else if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v)) throw new UsageError(`--${flag} needs a number, got "${v}"`);
    else o[flag] = Number(v);
  }
  const problem = explainOptionsCheck(o, '');
  // The check names fields as ".keep"; on the command line they are flags.
  if (problem) throw new UsageError(problem.replace(/^\.(baselineFile|\w+)/, (_, k: string) => `--${k === 'baselineFile' ? 'baseline' : k}`));
  return o as ExplainOptions;
}

/**
 * What a user must know about the input that was explained: values made up because no --input was given (a map of
 * noise explains nothing about real data), or an array laid out again to fit the model.
 */
export function inputNotes(inputs: readonly InputUsed[]): string[] {
  const notes: string[] = [];
  for (const i of inputs) {
    if (i.synthesized) notes.push(`input "${i.name}" was synthesized (${i.source}): no --input fed it, so the map explains made-up values; pass --input FILE to explain a real example`);
    if (i.note) notes.push(i.note);
  }
  return notes;
}

/**
 * Public `--json` contract: {"method","target","shape","deletionAuc","insertionAuc","completeness"?}; `--out` writes
 * the map as float32 .npy (H×W for image inputs, else the input's shape). Added fields: `inputs` (what
 * was fed, as `run` reports it) and `notes` (synthesized inputs, arrays laid out for the model), also printed as text.
 */
export const saliencyVerb: Verb = {
  name: 'saliency',
  summary: 'saliency map (gradients, Grad-CAM, occlusion, RISE) with deletion/insertion AUC',
  usage: `<model> [--input file.npy|image] --method <${EXPLAIN_METHODS.join('|')}> [--target K] [--dim symbol=value ...] [--ep cpu] [--out map.npy] [--server URL [--server-model NAME[:VERSION]]] [--json]`
    + methodSettingsUsage()
    + `\n       saliency <language model> --prompt TEXT [--target TEXT|ID] --method <${TOKEN_METHODS.join('|')}> [--samples N for shapley] [--steps N for ig] [--tokenizer FILE] [--json]`,
  flags: ['input', 'method', 'target', 'out', 'dim', 'ep', ...METHOD_OPTION_FLAGS, 'prompt', 'tokenizer', ...SERVER_FLAGS],
  async run(args, io) {
    const path = modelPathArg(this, args);
    checkServerFlags(args);
    if (args.prompt !== undefined) return saliencyPromptCli(path, args, io);
    const method = (args.method ?? 'vanilla') as ExplainMethod;
    if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`--method must be one of ${EXPLAIN_METHODS.join(', ')}, got "${args.method}"`);
    if (args.target !== undefined && !/^\d+$/.test(args.target)) throw new UsageError(`--target needs a whole number, got "${args.target}"`);
    const inputs: RunInputSpec[] = args.inputs.map((i) => (i.name ? { name: i.name, file: i.file } : { file: i.file }));
    const options = methodOptions(method, args.methodOptions);
    const model = await openModelChecked(path);
    try {
      bindCliServer(model, args);
      const r = await explainModel(model, {
        methods: [method], inputs, dims: args.dims, providers: args.eps, options,
        target: args.target === undefined ? undefined : Number(args.target),
      });
      const m = r.maps[0];
      if (m.error) throw new ModelError(path, m.error);
      const full = r.full.get(method)!;
      const shape = m.shape;
      const out = args.out;
      if (out) await writeOrSay(out, () => writeFile(out, encodeNpy({ dtype: 'float32', shape, data: full })));
      const notes = inputNotes(r.inputs ?? []);
      // On a server, the JSON says where the forward passes ran (the session is the one explain used, cached).
      const served = args.server !== undefined ? (await sessions.get(model, { providers: args.eps })).session : undefined;
      const json = {
        method, ...(m.layer ? { layer: m.layer } : {}), target: r.target, shape, deletionAuc: m.deletionAuc, insertionAuc: m.insertionAuc, ...(m.completeness !== undefined ? { completeness: m.completeness } : {}),
        inputs: r.inputs ?? [], notes,
        ...(served?.server ? { provider: served.provider, server: served.server } : {}),
      };
      if (args.json) io.out(JSON.stringify(json) + '\n');
      else {
        for (const n of notes) io.out(`note: ${n}\n`);
        if (served?.server) io.out(`ran on ${served.provider}\n  ${serverLine(served.server)}\n`);
        io.out(`${method}${m.layer ? ` at layer ${m.layer}` : ''} for target ${r.target} (score ${r.score.toFixed(4)}), map [${shape.join('×')}] in ${m.ms.toFixed(0)} ms\n`);
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
