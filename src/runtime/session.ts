import type { Dim } from '../model/shape';
import { ModelError } from '../model/errors';
import type { DType } from '../model/dtype';
import type { NdArray } from '../formats/arrays/ndarray';
import type { SkippedProvider } from '../protocol/run';
import type { ServerStatus } from '../protocol/settings';
import type { TokenModel } from './lm/token-model';

/** A graph input or output as the runtime sees it (symbolic dims by name, null when unknown). */
export interface IoInfo {
  name: string;
  dtype: DType;
  shape: Dim[] | undefined;
}

/**
 * A loaded model ready to run, whatever the runtime. `provider` is what actually executes it; `skipped` says why each
 * preferred provider before it did not.
 */
export interface RuntimeSession {
  readonly provider: string;
  readonly skipped: SkippedProvider[];
  readonly loadMs: number;
  readonly inputs: IoInfo[];
  readonly outputs: IoInfo[];
  /** Nodes per provider, known after the first run for ORT (profiling), undefined otherwise. */
  readonly placement: Record<string, number> | undefined;
  /**
   * Tensors in, tensors out (capability 'tensors'); absent for backends that only take tokens (llama.cpp). `signal`
   * aborts a run that can stop midway (a request to an inference server); in-process runtimes check it between runs.
   */
  run?(feeds: Map<string, NdArray>, opts?: { signal?: AbortSignal }): Promise<Map<string, NdArray>>;
  /** Samples per run the batch dimension may carry (an inference server's limit); undefined: no limit. */
  readonly maxBatch?: number;
  /** Set when the model runs on an inference server: what the server said at load. */
  readonly server?: ServerStatus;
  /** Token ids in, next-token log-probabilities out, for backends that are language models themselves (llama.cpp). */
  readonly tokens?: TokenModel;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  /** Ordered providers to try; undefined = the platform default order. */
  providers?: string[];
  /** Record which provider runs each node on the first run (ORT only; costs one profiled run). Default: on for non-CPU providers. */
  placement?: boolean;
}

/** The session's tensor entry point, or a ModelError saying that this backend takes prompts only. */
export function tensorRun(session: RuntimeSession, path: string): NonNullable<RuntimeSession['run']> {
  if (!session.run) throw new ModelError(path, `runs on ${session.provider} from text prompts only: give a prompt (--prompt, or the Run tab's prompt box)`);
  return session.run.bind(session);
}
