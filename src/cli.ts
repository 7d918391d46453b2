// `model-inspector`: the same readers, stats and runtimes as the extension, in-process, for terminals and CI.
// Exit codes: 0 ok, 1 bad input or a failed job, 2 a wrong command line. Never a stack trace unless
// MODEL_INSPECTOR_DEBUG=1.
import { version } from '../package.json';
import catalogEntries from './formats/catalog.generated.json';
import { productTagline } from './formats/catalog';
import { UsageError, checkFlags, parseArgs } from './cli/args';
import { commands, findVerb } from './cli/commands';
import type { CliIO } from './cli/verb';
import { ModelError } from './model/errors';

const debug = process.env.MODEL_INSPECTOR_DEBUG === '1';

function helpText(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `model-inspector ${version}: ${productTagline(catalogEntries).replace(/^L/, 'l')}`,
    '',
    'usage: model-inspector <command> <model> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'options:',
    '  --json           print one JSON object (errors as {"error": "..."})',
    '  --help, -h       help for a command: model-inspector <command> --help',
    '  --version, -v    print the version',
    '',
    'exit codes: 0 ok, 1 bad model or failed job, 2 wrong command line',
    '',
  ].join('\n');
}

/**
 * One line for the user, "<file>: <problem>": the ModelError's own, or, for anything else a runtime throws (a TF.js or
 * onnxruntime exception no check caught first), its first line after the model file's name. Never a bare
 * "internal error": the user can act on the runtime's words, not on ours.
 */
function errorLine(e: unknown, modelPath?: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split(/\r?\n/).find((l) => l.trim())?.trim() ?? 'unknown error';
  if (e instanceof ModelError || e instanceof UsageError) return line;
  return modelPath ? new ModelError(modelPath, line).message : line;
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  // Known before parsing so that even a bad command line answers in JSON when --json was asked for.
  let json = argv.includes('--json');
  let modelPath: string | undefined;
  try {
    const args = parseArgs(argv);
    json = args.json;
    modelPath = args.positionals[0];
    if (args.version) {
      io.out(json ? JSON.stringify({ version }) + '\n' : `${version}\n`);
      return 0;
    }
    if (!args.verb) {
      if (args.help) {
        io.out(helpText());
        return 0;
      }
      throw new UsageError('no command given');
    }
    const verb = findVerb(args.verb);
    if (!verb) throw new UsageError(`unknown command "${args.verb}" (commands: ${commands.map((c) => c.name).join(', ')})`);
    if (args.help) {
      io.out(`usage: model-inspector ${verb.name} ${verb.usage}\n  ${verb.summary}\n`);
      return 0;
    }
    checkFlags(verb.name, args, verb.flags);
    return await verb.run(args, io);
  } catch (e) {
    const usage = e instanceof UsageError;
    const line = errorLine(e, modelPath);
    if (json) io.out(JSON.stringify({ error: line }) + '\n');
    else io.err(`model-inspector: ${line}\n${usage ? 'run "model-inspector --help" for usage\n' : ''}`);
    if (debug && e instanceof Error && e.stack) io.err(e.stack + '\n');
    return usage ? 2 : 1;
  }
}

function main(): void {
  const io: CliIO = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };
  // `model-inspector inspect x --json | head` closes stdout early: that is not an error worth a trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
  const die = (e: unknown) => {
    process.stderr.write(`model-inspector: ${errorLine(e)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  runCli(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  }, die);
}

if (require.main === module) main();
