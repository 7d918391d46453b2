import * as tf from '@tensorflow/tfjs';
import type { Graph, Node } from '../../model';
import { NodeAttributes } from './attributes';
import type { OpContext, OpFn } from './op-context';
import { UnsupportedAttributeError } from './op-context';
import { OPS } from './registry';

/** A node with its operator, attributes and load-time tensors resolved once, not per run. */
interface Step {
  node: Node;
  fn: OpFn;
  attrs: NodeAttributes;
  attrTensors: Map<string, tf.Tensor>;
}

/**
 * Walks the graph in file order (ONNX requires topological order) inside one tf.tidy: intermediates are freed,
 * the returned tensors and the weights survive, and tf.grad still sees every op on its tape.
 */
export class GraphExecutor {
  private readonly steps: Step[];

  constructor(
    private readonly graph: Graph,
    private readonly weights: Map<string, tf.Tensor>,
    attrTensors: Map<Node, Map<string, tf.Tensor>>,
    private readonly opset: number,
  ) {
    this.steps = graph.nodes.map((node) => ({
      node,
      fn: OPS[node.opType],
      attrs: new NodeAttributes(node),
      attrTensors: attrTensors.get(node) ?? new Map(),
    }));
  }

  run(inputs: Record<string, tf.Tensor>, wanted: string[]): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const env = this.forward(inputs);
      const out: Record<string, tf.Tensor> = {};
      for (const name of wanted) {
        const t = env.get(name);
        if (!t) throw new Error(`value "${name}" is not computed by the graph`);
        out[name] = t;
      }
      return out;
    });
  }

  /** The shape of every node output for these inputs, in graph order (one forward pass; tensors freed). */
  shapes(inputs: Record<string, tf.Tensor>): Map<string, number[]> {
    const out = new Map<string, number[]>();
    tf.tidy(() => {
      this.forward(inputs, (node, env) => {
        for (const name of node.outputs) if (name && env.has(name)) out.set(name, env.get(name)!.shape);
      });
    });
    return out;
  }

  /** Every step in graph order; returns all values by name. Call inside a tf scope (intermediates are its to free). */
  private forward(inputs: Record<string, tf.Tensor>, afterStep?: (node: Node, env: Map<string, tf.Tensor>) => void): Map<string, tf.Tensor> {
    for (const name of this.graph.inputs) {
      if (!inputs[name]) throw new Error(`input "${name}" is missing (the model takes ${this.graph.inputs.join(', ')})`);
    }
    const env = new Map<string, tf.Tensor>(this.weights);
    for (const [name, t] of Object.entries(inputs)) env.set(name, t);
    for (const step of this.steps) {
      // A value given by the caller stands in for the node that computes it (gradients w.r.t. token embeddings).
      if (step.node.outputs.every((o) => !o || Object.hasOwn(inputs, o))) continue;
      this.runStep(step, env);
      afterStep?.(step.node, env);
    }
    return env;
  }

  private runStep(step: Step, env: Map<string, tf.Tensor>): void {
    const { node } = step;
    const ctx: OpContext = {
      node,
      attrs: step.attrs,
      opset: this.opset,
      inputs: node.inputs.map((name) => {
        if (!name) return undefined;
        const t = env.get(name);
        if (!t) throw new Error(`${label(node)}: input "${name}" has no value`);
        return t;
      }),
      attrTensor: (name) => step.attrTensors.get(name),
      declaredDType: (i) => this.graph.values.get(node.inputs[i])?.dtype,
    };
    let result: ReturnType<OpFn>;
    try {
      result = step.fn(ctx);
    } catch (e) {
      const msg = `${label(node)}: ${(e as Error).message}`;
      throw e instanceof UnsupportedAttributeError ? new UnsupportedAttributeError(msg) : new Error(msg, { cause: e });
    }
    const outs = Array.isArray(result) ? result : [result];
    node.outputs.forEach((name, i) => {
      const t = outs[i];
      if (name && t) env.set(name, t);
    });
  }
}

function label(node: Node): string {
  return `${node.opType} node "${node.name || node.id}"`;
}
