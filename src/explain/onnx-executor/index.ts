import * as tf from '@tensorflow/tfjs';
import type { Model, Node } from '../../model';
import { ModelError, isFloatDType } from '../../model';
import { GraphExecutor } from './executor';
import { toTfTensor } from './load-tensor';
import { OPS, isDefaultDomain } from './registry';

export { UnsupportedAttributeError } from './op-context';

// A differentiable ONNX executor: the graph's operators mapped onto @tensorflow/tfjs ops, so tf.grad / tf.grads /
// tf.valueAndGrad flow from any output back to the inputs (onnxruntime has no gradients). Used for saliency.

export interface DifferentiableModel {
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Runs the graph inside the caller's tf scope; inputs by name; returns every graph output (and any extra value names asked). */
  run(inputs: Record<string, tf.Tensor>, extraOutputs?: string[]): Record<string, tf.Tensor>;
  /** Every node output's shape for these inputs, in graph order (one forward pass). */
  shapes(inputs: Record<string, tf.Tensor>): Map<string, number[]>;
  /** Replaces initializer values in memory (model-randomization sanity check). */
  setWeights(values: Record<string, tf.Tensor>): void;
  /** Float initializers (the trainable weights); integer initializers are shape data and are left out. */
  weightNames(): string[];
  dispose(): void;
}

export class UnsupportedOperatorError extends Error {
  override readonly name = 'UnsupportedOperatorError';
  constructor(readonly ops: string[]) {
    super(`Unsupported ONNX operators for gradients: ${ops.join(', ')}`);
  }
}

/** Operator types of the main graph that have no tfjs mapping (custom domains count by domain:name), sorted. */
export function unsupportedOperators(model: Model): string[] {
  const out = new Set<string>();
  for (const n of model.graph.nodes) {
    if (!isDefaultDomain(n.domain)) out.add(`${n.domain}:${n.opType}`);
    else if (!Object.hasOwn(OPS, n.opType)) out.add(n.opType);
  }
  return [...out].sort();
}

function defaultOpset(model: Model): number {
  return model.opsets.find((o) => isDefaultDomain(o.domain))?.version ?? 1;
}

export async function loadDifferentiable(model: Model, opts: { signal?: AbortSignal } = {}): Promise<DifferentiableModel> {
  if (model.format !== 'onnx') throw new ModelError(model.path, `is a ${model.format} model; the differentiable executor reads ONNX`);
  const unsupported = unsupportedOperators(model);
  if (unsupported.length) throw new UnsupportedOperatorError(unsupported);
  const weights = new Map<string, tf.Tensor>();
  const attrTensors = new Map<Node, Map<string, tf.Tensor>>();
  const dispose = () => {
    for (const t of weights.values()) t.dispose();
    for (const m of attrTensors.values()) for (const t of m.values()) t.dispose();
  };
  try {
    for (const t of model.graph.initializers) {
      opts.signal?.throwIfAborted();
      weights.set(t.name, await toTfTensor(t, model.path));
    }
    for (const node of model.graph.nodes) {
      for (const a of node.attributes) {
        if (a.value.type !== 'tensor') continue;
        opts.signal?.throwIfAborted();
        let m = attrTensors.get(node);
        if (!m) attrTensors.set(node, (m = new Map()));
        m.set(a.name, await toTfTensor(a.value.value, model.path));
      }
    }
  } catch (e) {
    dispose();
    throw e;
  }
  const exec = new GraphExecutor(model.graph, weights, attrTensors, defaultOpset(model));
  const floatWeights = model.graph.initializers.filter((t) => isFloatDType(t.dtype)).map((t) => t.name);
  const outputNames = model.graph.outputs.slice();
  return {
    inputNames: model.graph.inputs.slice(),
    outputNames,
    run: (inputs, extra = []) => exec.run(inputs, [...outputNames, ...extra.filter((n) => !outputNames.includes(n))]),
    shapes: (inputs) => exec.shapes(inputs),
    setWeights(values) {
      for (const [name, t] of Object.entries(values)) {
        const old = weights.get(name);
        if (!old) throw new Error(`"${name}" is not an initializer of ${model.path}`);
        if (old.shape.join() !== t.shape.join()) throw new Error(`"${name}" has shape [${old.shape}], got [${t.shape}]`);
        weights.set(name, tf.keep(t.dtype === old.dtype ? t.clone() : t.cast(old.dtype)));
        old.dispose();
      }
    },
    weightNames: () => floatWeights.slice(),
    dispose,
  };
}
