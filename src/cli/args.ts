/** A wrong command line: printed with a usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface InputSpec {
  /** '' when given as `--input file`: the verb feeds it to the first input not named otherwise. */
  name: string;
  file: string;
}

/** Everything the command line can say; each verb reads the flags it declared and the parser rejects the rest. */
export interface ParsedArgs {
  verb?: string;
  positionals: string[];
  json: boolean;
  help: boolean;
  version: boolean;
  inputs: InputSpec[];
  dims: Record<string, number>;
  eps?: string[];
  runs?: number;
  bins?: number;
  out?: string;
  method?: string;
  target?: string;
  saveOutputs?: string;
  /** compare: skip running the models. */
  noOutputs?: boolean;
  /** compare: relative error beyond which an activation diverges. */
  tolerance?: number;
  /** Language models: the prompt, a tokenizer.json, how many next tokens to list and to generate. */
  prompt?: string;
  tokenizer?: string;
  top?: number;
  generate?: number;
  /** An inference server to run the model on, and the model's NAME[:VERSION] there. */
  server?: string;
  serverModel?: string;
  /** Saliency method settings as given (`--keep 0.3`), checked by the verb against the protocol's bounds. */
  methodOptions: Partial<Record<MethodOptionFlag, string>>;
  /** The flags actually given (long names without dashes), so verbs can refuse ones they do not take. */
  given: Set<FlagName>;
}

/** Saliency method settings, one flag each (named as the protocol's ExplainOptions fields). */
export const METHOD_OPTION_FLAGS = ['noise', 'samples', 'steps', 'baseline', 'layer', 'window', 'stride', 'fill', 'masks', 'grid', 'keep'] as const;
export type MethodOptionFlag = (typeof METHOD_OPTION_FLAGS)[number];

export type FlagName = 'json' | 'help' | 'version' | 'input' | 'dim' | 'ep' | 'runs' | 'bins' | 'out' | 'method' | 'target' | 'save-outputs' | 'no-outputs' | 'tolerance' | 'prompt' | 'tokenizer' | 'top' | 'generate' | 'server' | 'server-model' | MethodOptionFlag;

type FlagKind = 'bool' | 'value';

const FLAGS: Record<FlagName, FlagKind> = {
  json: 'bool',
  help: 'bool',
  version: 'bool',
  input: 'value',
  dim: 'value',
  ep: 'value',
  runs: 'value',
  bins: 'value',
  out: 'value',
  method: 'value',
  target: 'value',
  'save-outputs': 'value',
  'no-outputs': 'bool',
  tolerance: 'value',
  prompt: 'value',
  tokenizer: 'value',
  top: 'value',
  generate: 'value',
  server: 'value',
  'server-model': 'value',
  ...(Object.fromEntries(METHOD_OPTION_FLAGS.map((f) => [f, 'value'])) as Record<MethodOptionFlag, FlagKind>),
};

const SHORT: Record<string, FlagName> = { h: 'help', v: 'version' };

function wholeNumber(flag: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${flag} needs a whole number from ${min} to ${max}, got "${v}"`);
  return Number(v);
}

function keyValue(flag: string, v: string): [string, string] {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new UsageError(`--${flag} needs name=value, got "${v}"`);
  return [v.slice(0, i), v.slice(i + 1)];
}

/**
 * Parses `verb [positionals] [--flag value | --flag=value]...`. `--` ends flags. Unknown flags and flags
 * without their value are UsageErrors.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const a: ParsedArgs = { positionals: [], json: false, help: false, version: false, inputs: [], dims: {}, methodOptions: {}, given: new Set() };
  let flagsDone = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (flagsDone || !tok.startsWith('-') || tok === '-') {
      if (a.verb === undefined && a.positionals.length === 0 && !flagsDone) a.verb = tok;
      else a.positionals.push(tok);
      continue;
    }
    if (tok === '--') {
      flagsDone = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      inline = eq >= 0 ? tok.slice(eq + 1) : undefined;
    } else {
      const long = SHORT[tok.slice(1)];
      if (!long) throw new UsageError(`unknown option ${tok}`);
      name = long;
    }
    if (!Object.prototype.hasOwnProperty.call(FLAGS, name)) throw new UsageError(`unknown option --${name}`);
    const flag = name as FlagName;
    a.given.add(flag);
    if (FLAGS[flag] === 'bool') {
      if (inline !== undefined) throw new UsageError(`--${flag} takes no value`);
      if (flag === 'json') a.json = true;
      else if (flag === 'help') a.help = true;
      else if (flag === 'no-outputs') a.noOutputs = true;
      else a.version = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${flag} needs a value`);
      value = argv[++i];
    }
    if (value === '' && flag !== 'prompt') throw new UsageError(`--${flag} needs a value`);
    applyValue(a, flag, value);
  }
  return a;
}

function applyValue(a: ParsedArgs, flag: FlagName, value: string): void {
  switch (flag) {
    case 'input': {
      // `--input file` (no name=) feeds the first input not named otherwise.
      const [name, file] = value.includes('=') ? keyValue(flag, value) : ['', value];
      if (name && a.inputs.some((x) => x.name === name)) throw new UsageError(`--input ${name} is given twice`);
      a.inputs.push({ name, file });
      return;
    }
    case 'dim': {
      const [k, v] = keyValue(flag, value);
      a.dims[k] = wholeNumber(`dim ${k}`, v, 0, 2 ** 31 - 1);
      return;
    }
    case 'ep':
      a.eps = value.split(',').map((s) => s.trim()).filter(Boolean);
      if (a.eps.length === 0) throw new UsageError('--ep needs at least one execution provider name');
      return;
    case 'runs':
      a.runs = wholeNumber(flag, value, 1, 1_000_000);
      return;
    case 'bins':
      a.bins = wholeNumber(flag, value, 1, 65_536);
      return;
    case 'out':
      a.out = value;
      return;
    case 'method':
      a.method = value;
      return;
    case 'target':
      a.target = value;
      return;
    case 'prompt':
      a.prompt = value;
      return;
    case 'tokenizer':
      a.tokenizer = value;
      return;
    case 'top':
      a.top = wholeNumber(flag, value, 1, 100);
      return;
    case 'generate':
      a.generate = wholeNumber(flag, value, 0, 512);
      return;
    case 'server':
      a.server = value;
      return;
    case 'server-model':
      a.serverModel = value;
      return;
    case 'save-outputs':
      a.saveOutputs = value;
      return;
    case 'tolerance':
      if (!/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(value) || !(Number(value) > 0) || !Number.isFinite(Number(value))) throw new UsageError(`--tolerance needs a positive number, got "${value}"`);
      a.tolerance = Number(value);
      return;
    default:
      if ((METHOD_OPTION_FLAGS as readonly string[]).includes(flag)) {
        a.methodOptions[flag as MethodOptionFlag] = value;
        return;
      }
      throw new UsageError(`--${flag} takes no value`);
  }
}

/** Refuses flags a verb does not use, so a typo'd intent fails loudly instead of being ignored. */
export function checkFlags(verb: string, args: ParsedArgs, allowed: readonly FlagName[]): void {
  const ok = new Set<FlagName>(['json', 'help', 'version', ...allowed]);
  for (const f of args.given) if (!ok.has(f)) throw new UsageError(`${verb} does not take --${f}`);
}
