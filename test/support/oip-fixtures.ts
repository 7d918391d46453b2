// Models and settings shared by the inference-server tests and bench.
import { OnnxBuilder, writeModel } from './onnx-builder';
import { configureRuntime } from '../../src/runtime/settings';
import type { ServerBinding, ServerSecret } from '../../src/protocol/settings';

/**
 * A tiny causal "language model": input_ids int64 [batch, seq] → embedding Gather → MatMul → logits [batch, seq, V],
 * seeded weights. Enough for the token path (int64 ids in, float logits out) to be compared exactly.
 */
export function writeTinyLm(dir: string, vocab = 16, width = 8): string {
  let s = 12345;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const b = new OnnxBuilder('tiny_lm')
    .input('input_ids', 'int64', ['batch', 'seq'])
    .initializer('embed', 'float32', [vocab, width], Float32Array.from({ length: vocab * width }, next))
    .initializer('head', 'float32', [width, vocab], Float32Array.from({ length: width * vocab }, next))
    .node('Gather', ['embed', 'input_ids'], ['h'], { axis: 0 })
    .node('Tanh', ['h'], ['t'])
    .node('MatMul', ['t', 'head'], ['logits'])
    .output('logits', 'float32', ['batch', 'seq', vocab]);
  return writeModel(dir, 'tiny-lm.onnx', b);
}

/** Binds model files to servers (and origins to secrets) for this process, as the engine's configure does. */
export function bindServers(servers: Record<string, ServerBinding>, secrets?: Record<string, ServerSecret>): void {
  configureRuntime({ devices: {}, servers, ...(secrets ? { secrets } : {}) });
}

export function unbindServers(): void {
  configureRuntime({ devices: {} });
}
