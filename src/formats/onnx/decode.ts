import { ModelError, oneLine } from '../../model/errors';
import { onnx } from 'onnx-proto';
import type { Pacer } from '../pace';
import { decodeModelSliced } from './sliced-decode';

/** ModelProto field tags that may follow ir_version (field 1) in files written by onnx, PyTorch, tf2onnx, ORT. */
const MODEL_TAGS_AFTER_IR = new Set([0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

/**
 * Sniffs an ONNX file that does not end in .onnx. Conservative on purpose: JSON (TF.js model.json) and other
 * formats must not be claimed, so we only accept the layout every known writer emits — ir_version first
 * (tag 0x08, a small varint) followed by another ModelProto field.
 */
export function looksLikeOnnx(head: Uint8Array): boolean {
  if (head.length < 3 || head[0] !== 0x08) return false;
  const ir = head[1];
  return ir >= 1 && ir <= 32 && MODEL_TAGS_AFTER_IR.has(head[2]);
}

/** Text that starts like JSON is almost always a TF.js model.json or a config renamed by mistake. */
function looksLikeJson(buf: Uint8Array): boolean {
  for (let i = 0; i < Math.min(buf.length, 64); i++) {
    const c = buf[i];
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xef || c === 0xbb || c === 0xbf) continue; // space, BOM
    return c === 0x7b || c === 0x5b; // '{' or '['
  }
  return false;
}

/** Bytes → ModelProto through onnx-proto's generated decoder, with every failure turned into a one-line ModelError. */
export function decodeModel(file: string, buf: Uint8Array): onnx.ModelProto {
  refuseJson(file, buf);
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(buf);
  } catch (e) {
    throw decodeError(file, e);
  }
  return checkGraph(file, m);
}

/**
 * Same result and errors as `decodeModel`, but decoded in slices that pause through `pacer`, so a huge graph
 * neither blocks the engine nor ignores a cancel. Cancellation surfaces as the signal's AbortError.
 */
export async function decodeModelPaced(file: string, buf: Uint8Array, pacer: Pacer): Promise<onnx.ModelProto> {
  refuseJson(file, buf);
  let m: onnx.ModelProto;
  try {
    m = await decodeModelSliced(buf, pacer);
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw decodeError(file, e);
  }
  return checkGraph(file, m);
}

function refuseJson(file: string, buf: Uint8Array): void {
  if (looksLikeJson(buf)) {
    throw new ModelError(file, 'is not a valid ONNX file (it is JSON text; a TF.js model opens through its model.json)');
  }
}

function decodeError(file: string, e: unknown): ModelError {
  const reason = e instanceof RangeError && /call stack/i.test(e.message) ? 'messages nested too deeply' : decodeProblem(e);
  return new ModelError(file, `is not a valid ONNX file (truncated or corrupt protobuf: ${reason})`);
}

function checkGraph(file: string, m: onnx.ModelProto): onnx.ModelProto {
  if (!m.graph) throw new ModelError(file, 'is not a valid ONNX file (it has no graph)');
  const g = m.graph;
  if (!g.node?.length && !g.output?.length && !g.input?.length && !g.initializer?.length) {
    throw new ModelError(file, 'has an empty graph (no nodes, inputs, outputs or initializers)');
  }
  return m;
}

function decodeProblem(e: unknown): string {
  const msg = oneLine(e);
  // protobufjs says "index out of range: 167 + 7488 > 1001"; users need to hear where the bytes run out.
  const m = /^index out of range: (\d+) \+ (\d+) > (\d+)$/.exec(msg);
  if (m) return `a field at byte ${m[1]} needs ${m[2]} bytes but the data ends at byte ${m[3]}`;
  return msg || 'unknown decode error';
}
