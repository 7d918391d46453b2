import type { Graph, Node, Value } from './graph';
import type { Tensor } from './tensor';

/**
 * Builds a Graph from nodes and declared values, filling producer/consumer links.
 * Readers call this once so that every format gets the same wiring rules.
 */
export function linkGraph(init: {
  name: string;
  nodes: Node[];
  declared: Value[];
  inputs: string[];
  outputs: string[];
  initializers: Tensor[];
}): Graph {
  const values = new Map<string, Value>();
  const get = (name: string): Value => {
    let v = values.get(name);
    if (!v) {
      v = { name, consumers: [] };
      values.set(name, v);
    }
    return v;
  };
  for (const d of init.declared) {
    const v = get(d.name);
    if (d.dtype !== undefined) v.dtype = d.dtype;
    if (d.shape !== undefined) v.shape = d.shape;
  }
  for (const t of init.initializers) {
    const v = get(t.name);
    v.initializer = t;
    v.dtype ??= t.dtype;
    v.shape ??= t.shape;
  }
  for (const n of init.nodes) {
    for (const i of n.inputs) if (i) get(i).consumers.push(n.id);
    for (const o of n.outputs) if (o) get(o).producer = n.id;
  }
  const weightNames = new Set(init.initializers.map((t) => t.name));
  return {
    name: init.name,
    nodes: init.nodes,
    values,
    inputs: init.inputs.filter((i) => !weightNames.has(i)),
    outputs: init.outputs,
    initializers: init.initializers,
  };
}
