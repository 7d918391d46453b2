import type { EngineMethods } from '../../protocol/engine';
import type { Handlers } from '../../protocol/rpc';
import { attentionHandlers } from './attention';
import { compareHandlers } from './compare';
import { coreHandlers } from './core';
import { explainHandlers } from './explain';
import { graphHandlers } from './graph';
import { promptHandlers } from './prompt';
import { runHandlers } from './run';
import { statsHandlers } from './stats';
import { testHookHandlers } from './test-hooks';
import type { EngineServices } from './types';

/**
 * The engine's whole request surface in one table. A feature adds itself with one import above and one
 * spread line below; its factory lives in `./<feature>.ts` and returns handlers for its own method map.
 */
export function engineHandlers(services: EngineServices): Partial<Handlers<EngineMethods>> {
  return {
    ...coreHandlers(services),
    ...attentionHandlers(services),
    ...compareHandlers(services),
    ...explainHandlers(services),
    ...graphHandlers(services),
    ...promptHandlers(services),
    ...runHandlers(services),
    ...statsHandlers(services),
    ...testHookHandlers(services),
  };
}
