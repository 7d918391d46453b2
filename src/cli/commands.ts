import { attentionVerb } from './attention';
import { compareVerb } from './compare';
import { inspectVerb } from './inspect';
import { lensVerb } from './lens';
import { runVerb } from './run';
import { saliencyVerb } from './saliency';
import { statsVerb } from './stats';
import type { Verb } from './verb';

/** Every verb of the command line. Adding one: one import above and one entry below; the verb lives in ./<verb>.ts. */
export const commands: readonly Verb[] = [
  attentionVerb,
  compareVerb,
  inspectVerb,
  lensVerb,
  runVerb,
  saliencyVerb,
  statsVerb,
];

export function findVerb(name: string): Verb | undefined {
  return commands.find((c) => c.name === name);
}
