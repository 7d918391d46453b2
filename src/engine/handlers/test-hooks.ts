import type { CoreEngineMethods } from '../../protocol/engine';
import { RpcError } from '../../protocol/wire';
import type { FeatureHandlers } from './types';

type TestHookMethods = Pick<CoreEngineMethods, 'crashForTest' | 'sleepForTest'>;

const refuse = (method: string) => new RpcError('bad-request', `${method} needs MODEL_INSPECTOR_TEST_HOOKS=1`);

/** Test-only methods for crash isolation and cancellation tests; refused unless the engine runs with the flag. */
export const testHookHandlers: FeatureHandlers<TestHookMethods> = ({ testHooks, log }) => ({
  crashForTest: ({ afterMs }) => {
    if (!testHooks) throw refuse('crashForTest');
    log('warn', `crashForTest: killing the engine in ${afterMs ?? 0} ms`);
    // SIGKILL, not an exception: the host must cope with a process that vanishes without a word.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), Math.max(0, afterMs ?? 0));
    return new Promise<void>(() => {});
  },
  sleepForTest: ({ ms }, ctx) => {
    if (!testHooks) throw refuse('sleepForTest');
    const t0 = Date.now();
    return new Promise<'done'>((resolve, reject) => {
      const timer = setTimeout(() => resolve('done'), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        // Tests time cancellation end to end by this line.
        log('info', `sleepForTest cancelled after ${Date.now() - t0} ms`);
        reject(new RpcError('cancelled', 'sleepForTest was cancelled'));
      }, { once: true });
    });
  },
});
