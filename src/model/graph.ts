import type { DType } from './dtype';
import type { Shape } from './shape';
import type { Tensor } from './tensor';

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number | string } // string when the int64 does not fit a double exactly
  | { type: 'string'; value: string }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: (number | string)[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: Tensor }
  | { type: 'tensors'; value: Tensor[] }
  | { type: 'graph'; value: Graph }
  | { type: 'graphs'; value: Graph[] }
  | { type: 'type'; value: string }
  | { type: 'json'; value: unknown } // TF.js / Keras config values
  | { type: 'ref'; value: string }; // ONNX function attribute reference

export interface Attribute {
  readonly name: string;
  readonly value: AttributeValue;
}

export interface Node {
  /** Unique within the model (subgraph nodes are prefixed by their parent's id). */
  readonly id: string;
  readonly opType: string;
  /** '' for the default ONNX domain; 'keras' / 'tfjs' for TF.js. */
  readonly domain: string;
  readonly name: string;
  /** Grouping path without the node's own leaf, segments joined by '/': "encoder/layer.3/attn". */
  readonly scope: string;
  /** Value names; '' marks an omitted optional input. */
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attributes: Attribute[];
  readonly subgraphs: { attribute: string; graph: Graph }[];
  readonly doc?: string;
}

export interface Value {
  readonly name: string;
  dtype?: DType;
  shape?: Shape;
  /** Node id that writes this value; undefined for graph inputs and initializers. */
  producer?: string;
  readonly consumers: string[];
  /** Set when the value is a weight (initializer / TF.js weight). */
  initializer?: Tensor;
}

export interface Graph {
  readonly name: string;
  readonly nodes: Node[];
  readonly values: Map<string, Value>;
  /** Graph inputs that are not initializers (what a user feeds). */
  readonly inputs: string[];
  readonly outputs: string[];
  readonly initializers: Tensor[];
  /** ONNX model-local functions only: the attribute names the function declares. */
  readonly attributes?: string[];
}

export type ModelFormat =
  | 'onnx' | 'tfjs-layers' | 'tfjs-graph'
  | 'keras' | 'tflite' | 'safetensors' | 'gguf' | 'pytorch' | 'savedmodel';

export interface Model {
  readonly format: ModelFormat;
  readonly path: string;
  readonly producer?: { name: string; version: string };
  readonly irVersion?: number;
  readonly opsets: { domain: string; version: number }[];
  readonly metadata: Record<string, string>;
  readonly graph: Graph;
  /** ONNX model-local functions, each as a graph named domain:name. */
  readonly functions: Graph[];
  /** Non-fatal problems found while reading (e.g. a missing external data file); the graph still opens. */
  readonly warnings: string[];
  /** The files besides the model file that weights are read from (ONNX external data, TF.js weight shards), found. */
  readonly dataFiles?: { path: string; bytes: number }[];
  /** Closes file handles held for lazy reads. */
  dispose?(): Promise<void>;
}
