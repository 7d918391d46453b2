import type { EngineClient } from '../../src/engine/client';
import type { EngineCaller } from '../../src/host/model-handle';

/** The real engine as the host sees it, recording in `asked` every method the host sends to it. */
export function recordingCaller(engine: EngineClient, asked: string[]): EngineCaller {
  return {
    call: ((method: string, params: unknown, opts?: object) => {
      asked.push(method);
      return (engine.call as (m: string, p: unknown, o?: object) => Promise<unknown>).call(engine, method, params, opts);
    }) as EngineCaller['call'],
  };
}
