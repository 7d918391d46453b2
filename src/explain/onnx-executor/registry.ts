import type { OpTable } from './op-context';
import { activationOps } from './ops/activations';
import { constantOps } from './ops/constants';
import { convOps } from './ops/conv';
import { elementwiseOps } from './ops/elementwise';
import { indexingOps } from './ops/indexing';
import { matmulOps } from './ops/matmul';
import { normalizationOps } from './ops/normalization';
import { poolingOps } from './ops/pooling';
import { reduceOps } from './ops/reduce';
import { resizeOps } from './ops/resize';
import { shapeOps } from './ops/shape-ops';
import { softmaxOps } from './ops/softmax';

/** Default-domain ONNX operators this executor maps onto tfjs ops. */
export const OPS: OpTable = {
  ...activationOps, ...constantOps, ...convOps, ...elementwiseOps, ...indexingOps, ...matmulOps,
  ...normalizationOps, ...poolingOps, ...reduceOps, ...resizeOps, ...shapeOps, ...softmaxOps,
};

export function isDefaultDomain(domain: string): boolean {
  return domain === '' || domain === 'ai.onnx';
}
