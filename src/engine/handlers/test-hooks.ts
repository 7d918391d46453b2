import type { CoreEngineMethods } from '../../protocol/engine';
import { RpcError } from '../../protocol/wire';
import type { FeatureHandlers } from './types';

type TestHookMethods = Pick<CoreEngineMethods, 'crashForTest' | 'sleepForTest'>;

const refuse = (method: string) => new RpcError('bad-request', `${method} needs MODEL_INSPECTOR_TEST_HOOKS=1`);

/** Test-only methods for crash isolation and cancellation tests; refused unless the engine runs with the flag. */
export const testHookHandlers: FeatureHandlers<TestHookMethods> = ({ testHooks, log }) => ({
  crashForTest: ({ afterMs, how = 'kill' }) => {
    if (!testHooks) throw refuse('crashForTest');
    const delay = Math.max(0, afterMs ?? 0);
    log('warn', `crashForTest: ${how} in ${delay} ms`);
    switch (how) {
      case 'throw':
        setTimeout(() => {
          throw new Error('crashForTest: uncaught exception');
        }, delay);
        return;
      case 'reject':
        setTimeout(() => void Promise.reject(new Error('crashForTest: unhandled rejection')), delay);
        return;
      case 'abort':
        setTimeout(() => process.abort(), delay);
        return new Promise<void>(() => {});
      default:
        // SIGKILL, not an exception: the host must cope with a process that vanishes without a word.
        setTimeout(() => process.kill(process.pid, 'SIGKILL'), delay);
        return new Promise<void>(() => {});
    }
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
