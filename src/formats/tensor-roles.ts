import type { Graph } from '../model/graph';
import type { Tensor, TensorRole } from '../model/tensor';

/**
 * A tensor's role from its stored name, for the formats that store tensors by name (PyTorch state dicts and
 * checkpoints, SafeTensors, GGUF, Keras, TF.js layers, SavedModel checkpoints); undefined when the name says nothing
 * (a weight, unless the reader knows better). The names are the ones the training libraries write:
 * - PyTorch: `bn.running_mean`/`running_var` (buffers), `bn.num_batches_tracked` (counter), an optimizer's
 *   `state_dict()` as `state.<param id>.<slot>` (exp_avg, momentum_buffer…, `step` a counter), usually under
 *   a checkpoint key such as `optimizer` or `optimizer_state_dict`.
 * - Keras/TF: `moving_mean`/`moving_variance` (buffers); Keras 2's `optimizer_weights` (`Adam/dense/kernel/m`,
 *   `Adam/iterations`), Keras 3's `optimizer/vars/<i>`; TF2 checkpoints' `<var>/.OPTIMIZER_SLOT/optimizer/m`,
 *   `optimizer/iter`, `save_counter`, the TF 2.11+ optimizer's `optimizer/_variables/<i>` and
 *   `optimizer/_iterations`, a compiled model's `keras_api/metrics/<i>/total`; TF1's `<var>/Adam`, `<var>/Adam_1`,
 *   `beta1_power`, `global_step`.
 */
export function roleFromName(name: string, elementCount: number): TensorRole | undefined {
  // TF2 checkpoint keys end in the attribute they save; the object path before it names the variable.
  const path = name.replace(/\/\.ATTRIBUTES\/VARIABLE_VALUE$/, '');
  const segs = path.split(/[./]/).filter((s) => s !== '');
  const last = (segs[segs.length - 1] ?? '').toLowerCase();
  const scalar = elementCount <= 1;
  const optimizer = isOptimizerPath(path, segs);
  if (scalar && (COUNTER_NAMES.has(last) || (optimizer && OPTIMIZER_COUNTERS.has(last)))) return 'counter';
  // A compiled Keras model's metrics keep running sums in the checkpoint (keras_api/metrics/0/total, …/count).
  if (segs[0] === 'keras_api' && segs[1] === 'metrics') return 'counter';
  if (optimizer) return 'optimizer';
  if (BUFFER_NAMES.has(last)) return 'buffer';
  return undefined;
}

/** Scalars by these names count steps or saves; they are never weights. */
const COUNTER_NAMES = new Set(['num_batches_tracked', 'save_counter', 'global_step', '_growth_tracker']);
/** Under an optimizer, these scalars are its step count. */
const OPTIMIZER_COUNTERS = new Set(['step', 'iter', 'iterations', 'iteration', '_iterations']);
/**
 * Statistics a normalization layer keeps from the data it saw, and the registered buffers Hugging Face models save
 * (position and token-type ids, rotary frequencies, GPT-2's -1e4 mask fill): read by inference, not fitted by gradient.
 */
const BUFFER_NAMES = new Set(['running_mean', 'running_var', 'moving_mean', 'moving_variance', 'moving_var',
  'position_ids', 'token_type_ids', 'inv_freq', 'masked_bias']);
/** Keras 2 names its optimizer's weights after the optimizer class ("Adam/dense/kernel/m:0"). */
const OPTIMIZER_CLASSES = new Set(['adam', 'adamw', 'adamax', 'nadam', 'sgd', 'rmsprop', 'adagrad', 'adadelta', 'ftrl', 'lion', 'adafactor', 'lamb']);
/** TF1 slot variables hang off their variable's name: "dense/kernel/Adam", "dense/kernel/Adam_1". */
const TF1_SLOT = /\/(Adam|Adam_1|Momentum|RMSProp|RMSProp_1|Adagrad|Adadelta|Adadelta_1|Ftrl|Ftrl_1)$/;

/** The per-parameter state torch.optim's optimizers keep (Adam, AdamW, SGD, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop). */
const TORCH_SLOTS = new Set(['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'momentum_buffer', 'square_avg', 'grad_avg', 'sum',
  'acc_delta', 'exp_inf', 'mu_product', 'eta', 'mu', 'ax', 'prev', 'step_size']);

function isOptimizerPath(path: string, segs: string[]): boolean {
  if (segs.includes('OPTIMIZER_SLOT')) return true;
  const first = (segs[0] ?? '').toLowerCase();
  if (/^(optimizer|optim|opt)(_?state(s|_dict)?|_dict|_\d+)?$/.test(first) || first === 'optimizer_weights') return true;
  // Keras 2: "training/Adam/…" (TF-backend Keras 2.0-2.3) or "Adam/…".
  if (OPTIMIZER_CLASSES.has(first) || (first === 'training' && OPTIMIZER_CLASSES.has((segs[1] ?? '').toLowerCase()))) return true;
  if (TF1_SLOT.test(path) || /^beta[12]_power(_\d+)?$/.test(first)) return true;
  // A torch optimizer's state_dict() saved on its own or under any key: {'state': {0: {'exp_avg': …}}, 'param_groups': …}.
  for (let i = 0; i + 2 < segs.length; i++) {
    if (segs[i] === 'state' && /^\d+$/.test(segs[i + 1]) && i + 3 === segs.length && TORCH_SLOTS.has(segs[i + 2])) return true;
  }
  return false;
}

/**
 * Roles for a linked graph whose constants are all stored as tensors (TF.js graph models, TFLite): by name, then by
 * the op inputs that hold normalization statistics (`bufferInputs`), then a scalar or an unquantized integer tensor
 * is a constant of the computation (a shape, axis, padding or epsilon), never fitted by gradient.
 */
export function assignGraphRoles(g: Graph, bufferInputs: Record<string, number[]> = {}): void {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const t of g.initializers) {
    const named = roleFromName(t.name, t.elementCount);
    if (named) {
      t.role = named;
      continue;
    }
    const consumers = (g.values.get(t.name)?.consumers ?? []).map((id) => byId.get(id));
    if (consumers.some((n) => n && bufferInputs[n.opType]?.includes(n.inputs.indexOf(t.name)))) t.role = 'buffer';
    else if (t.shape.length === 0 || ((t.dtype === 'bool' || /^u?int\d+$/.test(t.dtype)) && !t.quantization)) t.role = 'constant';
  }
}

/** Roles by name alone, for files that are a flat list of named tensors (SafeTensors, GGUF). */
export function assignNameRoles(tensors: readonly Tensor[]): void {
  for (const t of tensors) {
    const role = roleFromName(t.name, t.elementCount);
    if (role) t.role = role;
  }
}
