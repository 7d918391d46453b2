import type { Handlers, MethodMap } from '../../protocol/rpc';
import type { ModelStore } from '../model-store';

export type LogLevel = 'info' | 'warn' | 'error';

/** What every feature's handlers get from the engine: the open models, the log channel to the host, flags. */
export interface EngineServices {
  readonly store: ModelStore;
  log(level: LogLevel, message: string): void;
  /** MODEL_INSPECTOR_TEST_HOOKS=1: enables crashForTest / sleepForTest. */
  readonly testHooks: boolean;
}

/** A feature's handler factory: `(services) => ({ method: (params, ctx) => result, ... })`. */
export type FeatureHandlers<M extends MethodMap> = (services: EngineServices) => Partial<Handlers<M>>;
