import type { Model } from '../../model/graph';
import type { Json } from '../tfjs/keras-config';
import type { LayerSpec } from './config';

/** What `kerasArtifacts` needs to rebuild the model for tfjs, kept beside the Model (not in the IR). */
export interface KerasSource {
  /** The model config in the Keras 2 form tfjs-layers reads (see normalizeConfig). */
  readonly config: Json;
  readonly layers: LayerSpec[];
  /** Layer path → its weights' tensor names in variable order. */
  readonly byLayer: ReadonlyMap<string, string[]>;
}

const sources = new WeakMap<Model, KerasSource>();

export function rememberSource(model: Model, source: KerasSource): void {
  sources.set(model, source);
}

export function kerasSourceOf(model: Model): KerasSource | undefined {
  return sources.get(model);
}
