import type { Model } from '../model/graph';
import type { NdArray } from '../formats/arrays/ndarray';
import type { ProfileRow, SkippedProvider } from '../protocol/run';
import type { Capability } from '../protocol/summary';
import type { LoadOptions, RuntimeSession } from './session';

export type { Capability };

export interface ProfileOutcome {
  rows: Omit<ProfileRow, 'share'>[] | ProfileRow[];
  notes: string[];
  runMs: number;
  /** True when rows already carry their share of the total. */
  shared?: boolean;
}

/**
 * One runtime, described once in `src/runtime/backends/<id>/index.ts` and listed by one line in
 * `backends/registry.ts`. Formats name the backends that can run them, in order of preference; the first whose
 * `available()` is true runs the model. Loading is lazy: a descriptor must not load its native library at import.
 */
export interface RuntimeBackend {
  /** Stable id: what formats name and the summary reports (`onnxruntime`, `tfjs`, `tfjs-node`, `llama-cpp`). */
  readonly id: string;
  /** What users call it: "ONNX Runtime", "llama.cpp". */
  readonly name: string;
  /** The devices or providers it may choose from, all of them, in its default preference. */
  readonly devices: readonly string[];
  readonly capabilities: readonly Capability[];
  /**
   * True when the user bound this model file to this backend (a server for it in the settings): it then runs ahead of
   * the format's own list. Cheap: reads settings only.
   */
  claims?(model: Pick<Model, 'path' | 'format'>): boolean;
  /** True, or one sentence saying why this machine cannot use it (shown to users). Cheap: no native load. */
  available(): true | string;
  /** Loads a model on the first device in order that works; the session says what ran and why others were skipped. */
  load(model: Model, opts: LoadOptions): Promise<RuntimeSession>;
  /** 'activations': runs once and returns the named intermediate values. */
  intermediates?(model: Model, session: RuntimeSession, feeds: Map<string, NdArray>, values: string[], signal?: AbortSignal): Promise<Map<string, NdArray>>;
  /** Frees what `intermediates` cached for the model. */
  releaseIntermediates?(model: Model): Promise<void>;
  /** 'profiling': per-node kernel times over `runs` runs after a warm-up. */
  profile?(model: Model, session: RuntimeSession, feeds: Map<string, NdArray>, o: { runs: number; optimized: boolean; signal?: AbortSignal; onRun?: (i: number) => void }): Promise<ProfileOutcome>;
}

/** A device order as the user asked for it, split into this backend's names and the ones it does not know. */
export function ownDevices(backend: Pick<RuntimeBackend, 'devices' | 'name'>, requested: string[]): { order: string[]; skipped: SkippedProvider[] } {
  const order: string[] = [];
  const skipped: SkippedProvider[] = [];
  for (const d of requested) {
    if (backend.devices.includes(d)) order.push(d);
    else skipped.push({ provider: d, reason: `is not a ${backend.name} device (it has ${backend.devices.join(', ')})` });
  }
  return { order, skipped };
}
