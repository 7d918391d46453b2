import { ModelError } from '../../model/errors';
import type { Graph, Model } from '../../model/graph';
import type { Tensor } from '../../model/tensor';
import { allGraphs } from '../../model/walk';
import type { FormatDescriptor, OpenOptions } from '../descriptor';
import { Pacer } from '../pace';
import { decodeModelPaced, looksLikeOnnx } from './decode';
import { ExternalData } from './external-data';
import { OnnxImage } from './lazy-payloads';
import { convertFunction, convertGraphPaced, normalDomain } from './graph';
import type { TensorContext } from './tensor';
import { int64Safe, type Int64 } from './types';

/** More warnings than this are summarised: a thousand identical lines help nobody. */
const MAX_WARNINGS = 50;

/**
 * ONNX reader: reads the file once, decodes it with onnx-proto's generated code, and maps it onto the IR.
 * Weights stay where they are (views into the file buffer, or external files opened on first read).
 */
export const onnxReader: FormatDescriptor = {
  id: 'onnx',
  name: 'ONNX',
  formats: ['onnx'],
  files: ['*.onnx'],
  runs: { backends: ['onnxruntime'] },

  match(path: string, head: Uint8Array): boolean {
    const lower = path.toLowerCase();
    if (lower.endsWith('.onnx')) return true;
    if (lower.endsWith('.json')) return false;
    return looksLikeOnnx(head);
  },

  async open(path: string, opts: OpenOptions = {}): Promise<Model> {
    const signal = opts.signal;
    signal?.throwIfAborted();
    const image = await OnnxImage.read(path, signal);
    const buf = image.bytes;
    if (buf.byteLength === 0) throw new ModelError(path, 'is empty (0 bytes)');
    signal?.throwIfAborted();

    // Decoding and mapping a big graph take seconds: both pause every ~25 ms so the engine stays responsive and a
    // cancel takes effect (as the signal's AbortError) within one slice.
    const pacer = new Pacer(signal);
    // (The image opens the file again only when a left-out payload is read: nothing to close if decoding fails.)
    const proto = await decodeModelPaced(path, buf, pacer);
    await pacer.pause();

    const external = new ExternalData(path);
    const ctx: TensorContext = { file: path, external, image };
    let graph: Graph;
    let functions: Graph[];
    try {
      graph = await convertGraphPaced(proto.graph!, ctx, pacer);
      const seen = new Set<string>();
      functions = (proto.functions ?? []).map((f, i) => {
        let id = `${f.domain ?? ''}:${f.name ?? `function${i}`}`;
        if (seen.has(id)) id = `${id}#${i}`;
        seen.add(id);
        return convertFunction(f, ctx, id);
      });
    } catch (e) {
      if (e instanceof ModelError) throw e;
      if (e instanceof RangeError) throw new ModelError(path, `is not a valid ONNX file (${e.message})`);
      throw e;
    }
    signal?.throwIfAborted();

    const warnings = await external.resolve();
    signal?.throwIfAborted();
    const irVersion = int64Safe(proto.irVersion as Int64);
    if ((irVersion ?? 0) >= 3 && !proto.opsetImport?.length) {
      // Required since IR 3; its absence usually means the file was cut after the graph.
      warnings.push('declares no opset_import (required since IR version 3; the file may be truncated)');
    }

    const producer = proto.producerName || proto.producerVersion
      ? { name: proto.producerName ?? '', version: proto.producerVersion ?? '' }
      : undefined;
    const model: Model = {
      format: 'onnx',
      path,
      producer,
      irVersion,
      opsets: (proto.opsetImport ?? []).map((o) => ({ domain: normalDomain(o.domain), version: int64Safe(o.version as Int64) ?? 0 })),
      metadata: Object.fromEntries((proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
      graph,
      functions,
      warnings,
      dataFiles: external.dataFiles,
      dispose: async () => {
        await external.dispose();
        await image.dispose();
      },
    };
    for (const t of tensorsOf(model)) {
      // External-data problems are already summarised per file by ExternalData.resolve.
      if (t.problem && t.location !== 'external') warnings.push(`tensor '${t.name}': ${t.problem}`);
    }
    if (warnings.length > MAX_WARNINGS) {
      const more = warnings.length - MAX_WARNINGS;
      warnings.splice(MAX_WARNINGS, more, `… and ${more} more warnings`);
    }
    return model;
  },
};

/** Initializers and attribute tensors of every graph: the places a tensor problem can hide. */
function* tensorsOf(model: Model): Generator<Tensor> {
  for (const g of allGraphs(model)) {
    yield* g.initializers;
    for (const n of g.nodes) {
      for (const a of n.attributes) {
        if (a.value.type === 'tensor') yield a.value.value;
        else if (a.value.type === 'tensors') yield* a.value.value;
      }
    }
  }
}
