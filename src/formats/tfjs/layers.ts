import { ModelError } from '../../model/errors';
import type { DType } from '../../model/dtype';
import type { Node } from '../../model/graph';
import type { Shape } from '../../model/shape';
import type { Tensor } from '../../model/tensor';
import { configAttributes, callRefs, declaredInputShape, isObj, refList, type Json, type TensorRef } from './keras-config';
import { manifestDType } from './dtypes';
import { inferLayerShapes } from './layer-shapes';

const MODEL_CLASSES = new Set(['Sequential', 'Model', 'Functional']);

export interface LayersGraph {
  name: string;
  nodes: Node[];
  declared: { name: string; dtype?: DType; shape?: Shape }[];
  inputs: string[];
  outputs: string[];
  warnings: string[];
  keras: { version?: string; backend?: string };
}

interface MutableNode extends Node {
  readonly inputs: string[];
}

interface ValueInfo {
  dtype?: DType;
  shape?: Shape;
}

/**
 * Keras topology (what tfjs-layers and the Keras converter write) → IR nodes. One node per layer call; nested
 * models are flattened into the parent with their name as scope, so the graph shows every real layer.
 * Weights are wired as extra inputs of the layer whose name appears in the weight's path ("dense/kernel").
 */
export function buildLayersGraph(jsonPath: string, topology: unknown, weights: readonly Tensor[]): LayersGraph {
  // The Keras converter nests the model under model_config (next to training_config); tfjs writes it bare.
  const top = isObj(topology) && isObj(topology.model_config) ? topology.model_config : topology;
  if (!isObj(top) || typeof top.class_name !== 'string' || !MODEL_CLASSES.has(top.class_name)) {
    const cls = isObj(top) ? JSON.stringify(top.class_name) : 'none';
    throw new ModelError(jsonPath, `modelTopology is not a Keras Sequential or functional model (class_name ${cls})`);
  }
  const b = new Builder(jsonPath);
  const io = b.model(top.class_name, top.config, '', undefined);
  b.attachWeights(weights);
  const cfg = isObj(top.config) ? top.config : {};
  return {
    name: typeof cfg.name === 'string' ? cfg.name : 'model',
    nodes: b.nodes,
    declared: [...b.values].map(([name, v]) => ({ name, ...v })),
    inputs: io.inputs,
    outputs: io.outputs,
    warnings: b.warnings,
    keras: {
      version: typeof topology === 'object' && topology !== null ? str((topology as Json).keras_version) ?? str(top.keras_version) : undefined,
      backend: str(top.backend) ?? (isObj(topology) ? str(topology.backend) : undefined),
    },
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

class Builder {
  readonly nodes: MutableNode[] = [];
  readonly values = new Map<string, ValueInfo>();
  readonly warnings: string[] = [];
  /** Layer name → ids of nodes made from it, keyed by the layer's full path so nested namesakes stay apart. */
  private readonly byLayer = new Map<string, Map<string, string[]>>();
  private readonly ids = new Set<string>();
  private depth = 0;

  constructor(private readonly jsonPath: string) {}

  /** Builds one (possibly nested) model; `feed` are the parent's tensors bound to its inputs. */
  model(cls: string, config: unknown, prefix: string, feed: string[] | undefined): { inputs: string[]; outputs: string[] } {
    if (++this.depth > 64) throw new ModelError(this.jsonPath, 'modelTopology nests models more than 64 deep');
    try {
      // Old Keras wrote a Sequential's config as the bare layer list.
      const layers = Array.isArray(config) ? config : isObj(config) && Array.isArray(config.layers) ? config.layers : undefined;
      if (!layers) throw new ModelError(this.jsonPath, `${prefix || 'modelTopology'}: ${cls} config has no layers list`);
      return cls === 'Sequential' ? this.sequential(layers, prefix, feed) : this.functional(layers, config as Json, prefix, feed);
    } finally {
      this.depth--;
    }
  }

  private sequential(layers: unknown[], prefix: string, feed: string[] | undefined) {
    let current: string[] = feed ?? [];
    const inputs: string[] = [];
    layers.forEach((layer, i) => {
      const l = this.layerOf(layer, `layers[${i}]`);
      if (l.cls === 'InputLayer' || (i === 0 && !feed)) {
        if (!feed && i === 0) {
          // Keras names the implicit input of a Sequential "<first layer>_input".
          const name = prefix + (l.cls === 'InputLayer' ? l.name : `${l.name}_input`);
          this.values.set(name, { dtype: manifestDType(l.config.dtype) ?? 'float32', shape: declaredInputShape(l.config) });
          inputs.push(name);
          current = [name];
        }
        if (l.cls === 'InputLayer') return;
      }
      current = this.call(l, 0, current, prefix);
    });
    return { inputs: feed ?? inputs, outputs: current };
  }

  private functional(layers: unknown[], config: Json, prefix: string, feed: string[] | undefined) {
    const parsed = layers.map((x, i) => this.layerOf(x, `layers[${i}]`));
    const byName = new Map(parsed.map((l) => [l.name, l]));
    const inputRefs = refList(config.input_layers);
    const outputRefs = refList(config.output_layers);
    // How many outputs each call has, from the highest tensor index anything refers to.
    const arity = new Map<string, number>();
    const note = (r: TensorRef) => {
      const k = `${r.layer}\u0000${r.node}`;
      arity.set(k, Math.max(arity.get(k) ?? 1, r.tensor + 1));
    };
    for (const l of parsed) for (const c of l.calls) c.forEach(note);
    outputRefs.forEach(note);
    // A nested model keeps its own internal call as node 0, so Keras/tfjs refer to its first outer call as
    // node 1. Detect that (a ref past the last call) and shift, instead of trusting one writer's convention.
    const shift = new Map<string, number>();
    for (const l of parsed) {
      if (!MODEL_CLASSES.has(l.cls)) continue;
      const refs = [...parsed.flatMap((p) => p.calls.flat()), ...outputRefs].filter((r) => r.layer === l.name);
      if (refs.length && Math.max(...refs.map((r) => r.node)) >= l.calls.length) shift.set(l.name, 1);
    }

    const made = new Map<string, string[][]>(); // layer → per call → output value names
    const state = new Map<string, 'busy' | 'done'>();
    const resolve = (r: TensorRef): string | undefined => {
      const call = r.node - (shift.get(r.layer) ?? 0);
      // Calls are made in order, so a shared layer's later call may use an earlier one's output.
      if (!made.get(r.layer)?.[call]) build(r.layer);
      const name = made.get(r.layer)?.[call]?.[r.tensor];
      if (name && (r.shape || r.dtype)) {
        const v = this.values.get(name) ?? {};
        this.values.set(name, { shape: v.shape ?? r.shape, dtype: v.dtype ?? r.dtype });
      }
      if (!name) this.warnings.push(`layer ${prefix}${r.layer}: output ${r.node}/${r.tensor} is referenced but never produced`);
      return name;
    };
    const build = (layerName: string): void => {
      const l = byName.get(layerName);
      if (!l || state.has(layerName)) return; // unknown, already made, or a cycle: the caller warns
      state.set(layerName, 'busy');
      const outs: string[][] = [];
      made.set(layerName, outs);
      if (l.cls === 'InputLayer') {
        const idx = inputRefs.findIndex((r) => r.layer === l.name);
        if (feed && idx >= 0 && feed[idx]) outs.push([feed[idx]]);
        else {
          const name = prefix + l.name;
          this.values.set(name, { dtype: manifestDType(l.config.dtype) ?? 'float32', shape: declaredInputShape(l.config) });
          outs.push([name]);
        }
      } else {
        l.calls.forEach((refs, k) => {
          const ins = refs.map(resolve).filter((x): x is string => x !== undefined);
          outs.push(this.call(l, k, ins, prefix, arity.get(`${l.name}\u0000${k}`) ?? 1));
        });
      }
      state.set(layerName, 'done');
    };
    for (const l of parsed) build(l.name);
    const inputs = feed ?? inputRefs.map(resolve).filter((x): x is string => x !== undefined);
    const outputs = outputRefs.map(resolve).filter((x): x is string => x !== undefined);
    return { inputs, outputs };
  }

  /** One call of a layer: a nested model expands in place, anything else becomes a node. */
  private call(l: ParsedLayer, k: number, ins: string[], prefix: string, arity = 1): string[] {
    const base = prefix + l.name + (k > 0 ? `#${k}` : '');
    if (MODEL_CLASSES.has(l.cls)) return this.model(l.cls, l.config, `${base}/`, ins).outputs;
    let id = base;
    for (let n = 2; this.ids.has(id); n++) id = `${base}~${n}`; // duplicate layer names in a broken file
    this.ids.add(id);
    const outputs = Array.from({ length: arity }, (_, i) => (i === 0 ? id : `${id}:${i}`));
    const scope = [...prefix.split('/'), ...l.name.split('/').slice(0, -1)].filter(Boolean).join('/');
    this.nodes.push({
      id, opType: l.cls, domain: 'keras', name: l.name, scope,
      inputs: [...ins], outputs, attributes: configAttributes(l.config), subgraphs: [],
    });
    const key = prefix + l.name;
    const perPath = this.byLayer.get(l.name) ?? new Map<string, string[]>();
    this.byLayer.set(l.name, perPath);
    perPath.set(key, [...(perPath.get(key) ?? []), id]);
    const inInfo = ins.map((n) => this.values.get(n) ?? {});
    const shapes = inferLayerShapes(l.cls, l.config, inInfo.map((v) => v.shape));
    const dtype = manifestDType(l.config.dtype) ?? inInfo[0]?.dtype;
    outputs.forEach((o, i) => this.values.set(o, { dtype, shape: shapes?.[i] }));
    return outputs;
  }

  /** Wires each weight into the node(s) of the layer its path names; unmatched weights stay graph initializers. */
  attachWeights(weights: readonly Tensor[]): void {
    const byId = new Map(this.nodes.map((n) => [n.id, n]));
    for (const w of weights) {
      const segs = w.name.split('/');
      for (let i = segs.length - 2; i >= 0; i--) {
        const perPath = this.byLayer.get(segs[i]);
        if (!perPath) continue;
        const paths = [...perPath.keys()];
        // Prefer the namesake whose enclosing models all appear earlier in the weight's path.
        const fit = paths.find((p) => p.split('/').slice(0, -1).every((s) => segs.slice(0, i).includes(s.replace(/#\d+$/, '')))) ?? paths[0];
        for (const id of perPath.get(fit) ?? []) byId.get(id)?.inputs.push(w.name);
        break;
      }
    }
  }

  private layerOf(x: unknown, where: string): ParsedLayer {
    if (!isObj(x) || typeof x.class_name !== 'string') throw new ModelError(this.jsonPath, `modelTopology ${where} is not a layer (no class_name)`);
    const config = isObj(x.config) ? x.config : {};
    const name = str(x.name) ?? str(config.name);
    if (!name) throw new ModelError(this.jsonPath, `modelTopology ${where} (${x.class_name}) has no name`);
    const calls = Array.isArray(x.inbound_nodes) ? x.inbound_nodes.map(callRefs) : [];
    return { name, cls: x.class_name, config, calls };
  }
}

interface ParsedLayer {
  name: string;
  cls: string;
  config: Json;
  /** Inbound refs per call; empty in a Sequential. */
  calls: TensorRef[][];
}
