/**
 * Big generated ONNX models for cancellation and memory tests: weights are pseudo-random float32 (so stats do real
 * work), written to disk in chunks so a 2 GB external-data file never sits in the test's memory.
 */
import { closeSync, openSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxBuilder, writeModel } from './onnx-builder';

const CHUNK = 4 << 20; // bytes per write

/** Deterministic float32 noise in [-1, 1) for chunk `i` (xorshift32; fast enough for gigabytes). */
function fillNoise(out: Float32Array, seed: number): void {
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 31) - 1;
  }
}

export interface WeightsModelSpec {
  /** Number of float32 initializers [rows, cols]. */
  tensors: number;
  rows: number;
  cols: number;
  /** Name of the external data file; undefined = weights inline in raw_data. */
  externalData?: string;
}

/**
 * A graph `y = x·W0 + x·W1 + …` over `tensors` weight matrices, every weight consumed by a MatMul. With
 * `externalData`, the bytes are streamed to that file; returns the model path and the weight bytes written.
 */
export function writeWeightsModel(dir: string, name: string, spec: WeightsModelSpec): { path: string; weightBytes: number } {
  const { tensors, rows, cols } = spec;
  const bytesPer = rows * cols * 4;
  const b = new OnnxBuilder('weights').input('x', 'float32', [1, rows]).output('y', 'float32', [1, cols]);
  let dataFd: number | undefined;
  if (spec.externalData) dataFd = openSync(join(dir, spec.externalData), 'w');
  try {
    const chunk = new Float32Array(Math.min(CHUNK, bytesPer) / 4);
    for (let t = 0; t < tensors; t++) {
      const W = `W${t}`;
      if (dataFd !== undefined) {
        for (let off = 0; off < bytesPer; off += chunk.byteLength) {
          const n = Math.min(chunk.byteLength, bytesPer - off);
          fillNoise(chunk, t * 100_003 + off / CHUNK + 1);
          writeSync(dataFd, new Uint8Array(chunk.buffer, 0, n));
        }
        b.initializer(W, 'float32', [rows, cols], [], {
          externalRef: { location: spec.externalData!, offset: String(t * bytesPer), length: String(bytesPer) },
        });
      } else {
        const all = new Float32Array(rows * cols);
        fillNoise(all, t + 1);
        b.initializer(W, 'float32', [rows, cols], [], { rawBytes: new Uint8Array(all.buffer) });
      }
      b.node('MatMul', ['x', W], [`p${t}`], {}, { name: `/layer${t}/MatMul` });
    }
  } finally {
    if (dataFd !== undefined) closeSync(dataFd);
  }
  // Sum the products pairwise-free: one Sum node takes them all.
  b.node('Sum', Array.from({ length: tensors }, (_, t) => `p${t}`), ['y'], {}, { name: '/sum' });
  return { path: writeModel(dir, name, b), weightBytes: tensors * bytesPer };
}

/** A long chain of `n` Relu nodes: big enough that decoding and mapping the graph takes seconds. */
export function writeLongChainModel(dir: string, name: string, n: number): string {
  const b = new OnnxBuilder('chain').input('v0', 'float32', [1, 8]).output(`v${n}`, 'float32', [1, 8]);
  for (let i = 0; i < n; i++) b.node('Relu', [`v${i}`], [`v${i + 1}`], {}, { name: `/block${i >> 6}/relu${i}` });
  return writeModel(dir, name, b);
}

/** `y = a·b` for n×n float inputs (dims {n}): a run's cost grows with n³, so a test picks how long one run takes. */
export function writeMatMulModel(dir: string, name: string): string {
  const b = new OnnxBuilder('matmul').input('a', 'float32', ['n', 'n']).input('b', 'float32', ['n', 'n']).output('c', 'float32', ['n', 'n']);
  b.node('MatMul', ['a', 'b'], ['c'], {}, { name: 'mm' });
  return writeModel(dir, name, b);
}

/** Free bytes on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}
