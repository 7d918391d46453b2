import { ModelError } from '../model/errors';
import { RpcError } from '../protocol/wire';
import type { Model } from '../model/graph';
import { openModel } from '../formats/registry';

/**
 * openModel, with the guarantee users rely on: whatever goes wrong while reading a file is reported as
 * "<file>: <problem>" on one line. Readers throw ModelError themselves; anything else that escapes a reader
 * (a decoder's RangeError on a truncated file) is wrapped here rather than shown as a bare internal error.
 */
export async function openModelChecked(path: string, signal?: AbortSignal): Promise<Model> {
  try {
    return await openModel(path, { signal });
  } catch (e) {
    if (e instanceof ModelError || e instanceof RpcError) throw e;
    if (signal?.aborted) throw new RpcError('cancelled', 'open was cancelled');
    const msg = (e instanceof Error ? e.message : String(e)).split(/\r?\n/)[0].trim() || 'unknown error';
    throw new ModelError(path, `could not be read (${msg})`);
  }
}
