import type { ForwardedMethods, WithModel } from './forwarded';
import type { ModelSummary } from './summary';
import type { CompareEngineMethods } from './compare';
import type { EngineSettings } from './settings';

/**
 * Host -> engine process requests. Each feature adds its own map in its own file and is joined here,
 * so the engine's surface is visible in one place.
 */
export type CoreEngineMethods = {
  open: { params: { path: string }; result: { modelId: string; summary: ModelSummary } };
  close: { params: { modelId: string }; result: void };
  ping: { params: Record<string, never>; result: { pid: number; rssBytes: number } };
  /** The user's settings, typed: sent by the client after every start and whenever they change (no restart needed). */
  configure: { params: EngineSettings; result: void };
  /** Test-only: kills the engine mid-job. Answered with 'bad-request' unless MODEL_INSPECTOR_TEST_HOOKS=1. */
  crashForTest: {
    /** how: 'kill' (default, SIGKILL) and 'abort' end the process; 'throw' / 'reject' raise an uncaught error the engine must survive. */
    params: { afterMs?: number; how?: 'kill' | 'abort' | 'throw' | 'reject' };
    result: void;
  };
  /** Test-only: a slow job that honours cancellation (resolves 'done' or rejects 'cancelled'). Same flag as crashForTest. */
  sleepForTest: { params: { ms: number }; result: 'done' };
};

export type EngineMethods = CoreEngineMethods & WithModel<ForwardedMethods> & CompareEngineMethods;

/** Engine -> host notifications. */
export type EngineEvents = {
  log: { level: 'info' | 'warn' | 'error'; message: string };
};

export interface EngineReadyInfo {
  pid: number;
  version: string;
}
