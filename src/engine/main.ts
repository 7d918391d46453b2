// Entry of the engine process the host forks (bundled to dist/engine/main.js). It owns parsing, stats and
// inference so that a crash or a runaway allocation here never takes the extension host down with it.
import { version } from '../../package.json';
import type { EngineEvents, EngineMethods, EngineReadyInfo } from '../protocol/engine';
import { RpcEndpoint } from '../protocol/rpc';
import { oneLine } from '../model/errors';
import { guardHandlers } from './guard';
import { engineHandlers } from './handlers/index';
import type { LogLevel } from './handlers/types';
import { ipcTransport } from './ipc-transport';
import { ModelStore } from './model-store';

function main(): void {
  if (!process.send) {
    process.stderr.write('model-inspector engine: start it with child_process.fork (it talks over IPC)\n');
    process.exitCode = 1;
    return;
  }
  // The log goes to the host as an event; before the channel exists (or after it closed) to stderr, which the
  // client also forwards.
  const channel: { endpoint?: RpcEndpoint<Record<string, never>, EngineMethods, Record<string, never>, EngineEvents> } = {};
  const log = (level: LogLevel, message: string) => {
    if (channel.endpoint && process.connected) channel.endpoint.emit('log', { level, message });
    else process.stderr.write(`[engine ${level}] ${message}\n`);
  };
  const store = new ModelStore(undefined, log);
  const handlers = engineHandlers({ store, log, testHooks: process.env.MODEL_INSPECTOR_TEST_HOOKS === '1' });
  const endpoint = (channel.endpoint = new RpcEndpoint(ipcTransport(), guardHandlers(handlers, log), { log }));

  // A stray rejection in a feature must not kill every open model: log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    log('error', `unhandled rejection: ${reason instanceof Error ? reason.stack ?? reason.message : oneLine(String(reason))}`);
  });
  process.on('uncaughtException', (err) => {
    log('error', `uncaught exception: ${err.stack ?? err.message}`);
    if (!process.connected) process.exit(1);
  });
  // The host went away (closed window, killed host): release file handles and leave.
  process.on('disconnect', () => {
    endpoint.dispose('host disconnected');
    void store.closeAll().finally(() => process.exit(0));
  });

  const info: EngineReadyInfo = { pid: process.pid, version };
  endpoint.sendReady(info);
}

main();
