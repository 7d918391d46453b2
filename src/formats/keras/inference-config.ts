import { ModelError } from '../../model/errors';
import { isObj, type Json } from '../tfjs/keras-config';

/**
 * Regularizers and constraints only shape training (a loss term, a projection after each update); initializers only
 * give variables their first values, which the file's weights replace. None changes a forward pass, and tfjs-layers
 * lacks many of their classes (Keras 2.4+'s `L2`/`L1`, `OrthogonalRegularizer`, Keras 3's `OrthogonalInitializer`, a
 * user's registered ones), so they are dropped before tfjs sees the config. Zeros stands in for every initializer:
 * it exists for every shape and costs nothing to build (tfjs would otherwise run e.g. Orthogonal's QR per weight).
 */
const TRAINING_ONLY = /_(regularizer|constraint)$/;
const INITIALIZER = /_initializer$/;
const ACTIVATION_KEYS = ['activation', 'recurrent_activation'];

/** Keras activation names tfjs-layers computes the same way (tfjs camel-cases the name: log_softmax → logSoftmax). */
const SAME_IN_TFJS = new Set([
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'softplus', 'softsign', 'tanh', 'softmax', 'log_softmax',
  'gelu', 'mish', 'swish',
]);

/**
 * Rewrites a (normalised, already copied) model config in place for tfjs-layers: training-only settings dropped,
 * activations mapped to tfjs's names. Throws a whole, one-line ModelError naming the first layer whose activation
 * tfjs has no implementation of, or computes differently, rather than letting tfjs fail on it.
 */
export function dropTrainingOnly(file: string, model: Json, kerasMajor: number): void {
  const cfg = model.config;
  if (isObj(cfg)) walkValues(file, cfg, '', kerasMajor, 0);
}

function walkValues(file: string, v: unknown, prefix: string, kerasMajor: number, depth: number): void {
  if (depth > 200) return;
  if (Array.isArray(v)) {
    for (const x of v) walkValues(file, x, prefix, kerasMajor, depth + 1);
    return;
  }
  if (!isObj(v)) return;
  // A layer (or a nested model, a wrapped layer, a recurrent cell): {class_name, config: {name, ...}}.
  if (typeof v.class_name === 'string' && isObj(v.config) && typeof v.config.name === 'string') {
    const where = prefix + v.config.name;
    rewriteLayer(file, v.config, where, kerasMajor);
    walkValues(file, v.config, `${where}/`, kerasMajor, depth + 1);
    return;
  }
  for (const x of Object.values(v)) walkValues(file, x, prefix, kerasMajor, depth + 1);
}

function rewriteLayer(file: string, cfg: Json, where: string, kerasMajor: number): void {
  for (const k of Object.keys(cfg)) {
    if (TRAINING_ONLY.test(k)) cfg[k] = null;
    else if (INITIALIZER.test(k) && cfg[k] != null) cfg[k] = { class_name: 'Zeros', config: {} };
  }
  for (const k of ACTIVATION_KEYS) {
    if (cfg[k] == null) continue;
    cfg[k] = tfjsActivation(file, cfg[k], where, kerasMajor);
  }
}

function tfjsActivation(file: string, a: unknown, where: string, kerasMajor: number): string {
  // A built-in is written as its name; an object is a user's function or a layer used as an activation.
  const name = typeof a === 'string' ? a : isObj(a) && typeof a.config === 'string' ? a.config : isObj(a) && typeof a.class_name === 'string' ? a.class_name : String(a);
  const cannot = (why: string) => new ModelError(file, `layer '${where}' uses activation '${name}', which TF.js ${why}; the model can be viewed but not run`);
  if (typeof a !== 'string') throw cannot('cannot build (it is not one of Keras\'s built-in activations)');
  if (a === 'silu') return 'swish';
  if (a === 'hard_sigmoid') {
    // tfjs computes Keras 2's hard sigmoid; Keras 3 redefined it as relu6(x + 3) / 6.
    if (kerasMajor >= 3) throw cannot('computes as Keras 2 did (0.2x + 0.5), not as Keras 3 does (x/6 + 0.5)');
    return a;
  }
  if (!SAME_IN_TFJS.has(a)) throw cannot('has no implementation of');
  return a;
}
