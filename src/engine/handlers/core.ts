import type { CoreEngineMethods } from '../../protocol/engine';
import type { FeatureHandlers } from './types';
import { settingsCheck } from '../../protocol/settings';
import { RpcError } from '../../protocol/wire';
import { configureRuntime } from '../../runtime/settings';

/** open / close / ping: the model lifecycle every feature builds on. */
export const coreHandlers: FeatureHandlers<Omit<CoreEngineMethods, 'crashForTest' | 'sleepForTest'>> = ({ store }) => ({
  open: ({ path }, ctx) => store.open(path, ctx.signal),
  close: ({ modelId }) => store.close(modelId),
  ping: () => ({ pid: process.pid, rssBytes: process.memoryUsage().rss }),
  configure: (settings) => {
    const problem = settingsCheck(settings, 'settings');
    if (problem) throw new RpcError('bad-request', problem);
    configureRuntime(settings);
  },
});
