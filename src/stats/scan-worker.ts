import { parentPort } from 'node:worker_threads';
import { ModelError } from '../model/errors';
import { scanJob, type PoolReply, type PoolRequest } from './scan-pool';
import { WeightScanner } from './weight-moments';

/**
 * A weight-statistics worker thread (scan-pool.ts starts it): scans whole tensors that lie in plain files, reading
 * them itself, with its own kernel. The bytes and the statistics are exactly what the main thread would produce.
 */
const port = parentPort!;
const scanner = new WeightScanner();
/** Progress is reported in steps of this many bytes (a message per chunk would cost more than it tells). */
const STEP = 32 << 20;

port.on('message', (req: PoolRequest) => {
  void run(req).then((reply) => port.postMessage(reply));
});

async function run(req: PoolRequest): Promise<PoolReply> {
  let pending = 0;
  try {
    const scan = await scanJob(scanner, req.job, {
      onBytes: (n) => {
        pending += n;
        if (pending >= STEP) {
          port.postMessage({ id: req.id, progress: pending } satisfies PoolReply);
          pending = 0;
        }
      },
    });
    return { id: req.id, progress: pending, scan };
  } catch (e) {
    return { id: req.id, error: e instanceof ModelError ? { file: e.file, problem: e.problem } : { message: e instanceof Error ? e.message : String(e) } };
  }
}
