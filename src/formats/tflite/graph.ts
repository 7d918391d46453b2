import { assignGraphRoles } from '../tensor-roles';
import { ModelError } from '../../model/errors';
import type { Graph, Node, Value } from '../../model/graph';
import { linkGraph } from '../../model/link';
import type { Tensor } from '../../model/tensor';
import type { FileRegions } from '../file-regions';
import { checked, vectorCount } from './flatbuffer';
import { builtinOpType, optionsOf } from './ops';
import * as fb from './schema/tflite_generated';
import { densifiedTensor } from './sparsity';
import { dtypeOf, quantizationOf, shapesOf, weightTensor, type BufferPlace } from './tensors';

/** What every subgraph conversion shares: the file, its size, the model's buffers and operator codes. */
export interface ModelContext {
  file: string;
  size: number;
  regions: FileRegions;
  buffers: (BufferPlace | undefined)[];
  opTypes: { opType: string; domain: string; builtin: string }[];
  subgraphCount: number;
  warnings: string[];
}

/** A converted subgraph, with the subgraph indices its control-flow nodes run (attached by the reader). */
export interface SubgraphParts {
  graph: Graph;
  /** node → [{attribute, subgraph index}] for IF/WHILE/CALL_ONCE/CALL nodes. */
  calls: Map<Node, { attribute: string; index: number }[]>;
}

/**
 * One TFLite subgraph → a Graph: tensors become values (a tensor with a non-empty buffer is a weight), operators
 * become nodes named after their first output, as TFLite operators have no names of their own.
 */
export function convertSubgraph(ctx: ModelContext, sg: fb.SubGraph, index: number): SubgraphParts {
  const { file, size } = ctx;
  const where = `subgraph ${index}`;
  const tensorCount = vectorCount(file, `${where} tensors`, size, 4, () => sg.tensorsLength());
  const names: string[] = [];
  const seen = new Set<string>();
  const declared: Value[] = [];
  const initializers: Tensor[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const what = `${where} tensor ${i}`;
    const t = checked(file, what, () => sg.tensors(i));
    if (!t) throw new ModelError(file, `is not a valid TFLite file: ${what} is missing`);
    // Names are for debugging in TFLite and need not be unique; values need a unique one.
    let name = checked(file, `${what} name`, () => t.name()) || `tensor_${i}`;
    if (seen.has(name)) name = `${name}#${i}`;
    seen.add(name);
    names.push(name);
    const dtype = dtypeOf(checked(file, `${what} type`, () => t.type()));
    const { shape, signature } = shapesOf(file, t, what);
    declared.push({ name, dtype, shape: signature, consumers: [] });
    const bufferIndex = checked(file, `${what} buffer`, () => t.buffer());
    if (bufferIndex >= ctx.buffers.length) {
      throw new ModelError(file, `is not a valid TFLite file: ${what} ("${name}") refers to buffer ${bufferIndex}, but the model has ${ctx.buffers.length}`);
    }
    const place = ctx.buffers[bufferIndex];
    if (!place || bufferIndex === 0) continue; // buffer 0 is the empty sentinel: an activation, not a weight
    const { q, warning } = quantizationOf(file, t, dtype, shape, what);
    if (warning) ctx.warnings.push(warning);
    const sparsity = checked(file, `${what} sparsity`, () => t.sparsity());
    const weight = weightTensor(ctx.regions, name, dtype, shape, place, q, sparsity !== null, `${what} ("${name}")`);
    initializers.push(sparsity ? densifiedTensor(ctx.regions, weight, sparsity, place, `${what} ("${name}")`) : weight);
  }

  const tensorName = (k: number, what: string): string => {
    if (k === -1) return ''; // an omitted optional input
    if (!Number.isInteger(k) || k < 0 || k >= tensorCount) {
      throw new ModelError(file, `is not a valid TFLite file: ${what} refers to tensor ${k}, but ${where} has ${tensorCount} tensors`);
    }
    return names[k];
  };
  const indexList = (what: string, len: () => number, at: (j: number) => number | null): string[] => {
    const n = vectorCount(file, what, size, 4, len);
    const out: string[] = [];
    for (let j = 0; j < n; j++) out.push(tensorName(checked(file, what, () => at(j)) ?? -1, `${what} ${j}`));
    return out;
  };

  const opCount = vectorCount(file, `${where} operators`, size, 4, () => sg.operatorsLength());
  const nodes: Node[] = [];
  const calls = new Map<Node, { attribute: string; index: number }[]>();
  for (let i = 0; i < opCount; i++) {
    const op = checked(file, `${where} operator ${i}`, () => sg.operators(i));
    if (!op) throw new ModelError(file, `is not a valid TFLite file: ${where} operator ${i} is missing`);
    const codeIndex = checked(file, `${where} operator ${i} opcode_index`, () => op.opcodeIndex());
    const code = ctx.opTypes[codeIndex];
    if (!code) throw new ModelError(file, `is not a valid TFLite file: ${where} operator ${i} uses operator code ${codeIndex}, but the model has ${ctx.opTypes.length}`);
    const what = `${where} operator ${i} (${code.builtin})`;
    const inputs = indexList(`${what} input`, () => op.inputsLength(), (j) => op.inputs(j));
    const outputs = indexList(`${what} output`, () => op.outputsLength(), (j) => op.outputs(j));
    const options = optionsOf(file, op, what);
    for (const s of options.subgraphs) {
      if (!Number.isInteger(s.index) || s.index < 0 || s.index >= ctx.subgraphCount) {
        throw new ModelError(file, `is not a valid TFLite file: ${what} runs subgraph ${s.index}, but the model has ${ctx.subgraphCount}`);
      }
    }
    const leaf = outputs.find((o) => o) ?? `${code.opType}_${i}`;
    const cut = leaf.lastIndexOf('/');
    const node: Node = {
      id: index === 0 ? `op${i}` : `sg${index}/op${i}`,
      opType: code.opType,
      domain: code.domain,
      name: leaf,
      scope: cut > 0 ? leaf.slice(0, cut) : '',
      inputs,
      outputs,
      attributes: options.attributes,
      subgraphs: [],
    };
    if (options.subgraphs.length) calls.set(node, options.subgraphs);
    nodes.push(node);
  }

  const inputs = indexList(`${where} inputs`, () => sg.inputsLength(), (j) => sg.inputs(j));
  const outputs = indexList(`${where} outputs`, () => sg.outputsLength(), (j) => sg.outputs(j));
  const name = checked(file, `${where} name`, () => sg.name()) || (index === 0 ? 'main' : `subgraph_${index}`);
  const graph = linkGraph({ name, nodes, declared, inputs, outputs, initializers });
  // Shape, axis and padding operands are unquantized int32 buffers; quantized weights and biases carry their scales.
  assignGraphRoles(graph);
  return { graph, calls };
}

/** An operator code → op type (PascalCase builtin name, or the custom op's own name) and its domain. */
export function opTypeOf(file: string, oc: fb.OperatorCode, i: number): { opType: string; domain: string; builtin: string } {
  const what = `operator code ${i}`;
  // Codes up to 127 were a byte (deprecated_builtin_code); later ones are only in builtin_code. The larger is real.
  const code = Math.max(checked(file, what, () => oc.deprecatedBuiltinCode()), checked(file, what, () => oc.builtinCode()));
  if (code === fb.BuiltinOperator.CUSTOM) {
    const custom = checked(file, `${what} custom_code`, () => oc.customCode()) || 'Custom';
    return { opType: custom, domain: 'tflite.custom', builtin: `CUSTOM ${custom}` };
  }
  return { opType: builtinOpType(code), domain: 'tflite', builtin: (fb.BuiltinOperator[code] as string | undefined) ?? `builtin ${code}` };
}
