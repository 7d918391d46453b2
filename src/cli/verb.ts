import { ModelError } from '../model/errors';
import { UsageError, type FlagName, type ParsedArgs } from './args';

/** Where a verb writes: stdout for results, stderr for messages (tests swap these for buffers). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/** One `model-inspector <verb>`: its help lines, the flags it takes, and what it does (returns the exit code). */
export interface Verb {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Arguments after the verb, e.g. "<model> [--json]". */
  readonly usage: string;
  readonly flags: readonly FlagName[];
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/** The single model path every verb takes as its first positional. */
export function modelPathArg(verb: Verb, args: ParsedArgs): string {
  if (args.positionals.length === 0) throw new UsageError(`${verb.name} needs a model path: model-inspector ${verb.name} ${verb.usage}`);
  if (args.positionals.length > 1) throw new UsageError(`${verb.name} takes one model path, got ${args.positionals.length} (${args.positionals.slice(1).join(' ')})`);
  return args.positionals[0];
}

/** Writes an output file the user named; a failure names that file ("out.npy: cannot be written (EACCES)"). */
export async function writeOrSay(path: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (e) {
    throw new ModelError(path, `cannot be written (${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))})`);
  }
}

