import { basename, extname } from 'node:path';
import type { Model } from '../model/graph';
import { serverUrl, type ServerSecret } from '../protocol/settings';
import { configureRuntime } from '../runtime/settings';
import { UsageError, type FlagName, type ParsedArgs } from './args';

/** `--server URL [--server-model NAME[:VERSION]]`: the verbs that run a model take them. */
export const SERVER_FLAGS: readonly FlagName[] = ['server', 'server-model'];

/** Where the command line reads a server's bearer token: the environment, never a flag (flags show in `ps`). */
export const TOKEN_VARIABLE = 'MODEL_INSPECTOR_SERVER_TOKEN';

/** Checks the server flags (URL, NAME[:VERSION]) before any model is opened. */
export function checkServerFlags(args: ParsedArgs): void {
  if (args.serverModel !== undefined && args.server === undefined) throw new UsageError('--server-model needs --server URL');
  if (args.server === undefined) return;
  const problem = serverUrl(args.server, '--server');
  if (problem) throw new UsageError(problem);
  if (args.serverModel !== undefined && !/^[\w.@+-]+(:[\w.@+-]+)?$/.test(args.serverModel)) throw new UsageError(`--server-model needs NAME or NAME:VERSION, got "${args.serverModel}"`);
}

/**
 * Binds the opened model to the server the flags name, for this process: its forward passes then run there. The
 * served model's name defaults to the file's name without its extension (a Triton model repository's folder name).
 */
export function bindCliServer(model: Model, args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): void {
  if (args.server === undefined) return;
  const [name, version] = (args.serverModel ?? basename(model.path, extname(model.path))).split(':');
  const token = env[TOKEN_VARIABLE];
  const secrets: Record<string, ServerSecret> | undefined = token ? { [new URL(args.server).origin]: { header: 'authorization', value: `Bearer ${token}` } } : undefined;
  configureRuntime({ devices: {}, servers: { [model.path]: { url: args.server, model: name, ...(version ? { version } : {}) } }, ...(secrets ? { secrets } : {}) });
}
