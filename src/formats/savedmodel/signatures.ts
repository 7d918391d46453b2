import type { DType } from '../../model/dtype';
import type { Shape } from '../../model/shape';
import { protoShape } from '../tfjs/graph-attrs';
import { tfDType } from './dtypes';

/** One SignatureDef input or output: the key callers use, the graph tensor it names, and its type. */
export interface SignatureTensor {
  readonly key: string;
  /** Graph tensor as TF writes it: "serving_default_input_1:0". */
  readonly tensor: string;
  readonly dtype?: DType;
  readonly shape: Shape;
}

/** What a runtime needs to call a SavedModel: signature name, method, inputs and outputs by key. */
export interface Signature {
  readonly name: string;
  readonly method: string;
  readonly inputs: SignatureTensor[];
  readonly outputs: SignatureTensor[];
}

/** The signature TF serving and `saved_model_cli run` use when none is named. */
export const SERVING_DEFAULT = 'serving_default';
/** Not a callable signature: the op TF runs once after loading. */
const INIT_OP = '__saved_model_init_op';

/** `MetaGraphDef.signature_def` (toObject form) → signatures sorted by name. */
export function readSignatures(signatureDef: unknown): Signature[] {
  if (!signatureDef || typeof signatureDef !== 'object') return [];
  return Object.entries(signatureDef as Record<string, Record<string, unknown>>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, s]) => ({
      name,
      method: typeof s.methodName === 'string' ? s.methodName : '',
      inputs: tensors(s.inputs),
      outputs: tensors(s.outputs),
    }));
}

/** serving_default, else the first real signature (not the init op), else none. */
export function servingSignature(signatures: readonly Signature[]): Signature | undefined {
  return signatures.find((s) => s.name === SERVING_DEFAULT) ?? signatures.find((s) => s.name !== INIT_OP && s.inputs.length > 0);
}

function tensors(map: unknown): SignatureTensor[] {
  if (!map || typeof map !== 'object') return [];
  return Object.entries(map as Record<string, Record<string, unknown>>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, t]) => ({
      key,
      tensor: typeof t.name === 'string' ? t.name : '',
      dtype: tfDType(t.dtype),
      shape: protoShape(t.tensorShape),
    }));
}
