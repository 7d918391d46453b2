import type { DType } from '../../model/dtype';

/**
 * The inert values the restricted unpickler builds. Nothing here has behaviour: a pickle can only ever produce
 * plain data, records naming torch storages/tensors, and named records for TorchScript objects.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | PyObject
  | StorageRef
  | TensorRef
  | PyDevice;

/** A tuple (a JS array is a list). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A dict or OrderedDict, in insertion order; keys may be any value, primitive keys are deduplicated. */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<unknown, number>();
  /** Attributes set by BUILD (an OrderedDict's `_metadata`); kept apart from the items. */
  attrs?: PyValue;

  set(key: PyValue, value: PyValue): void {
    const primitive = key === null || typeof key !== 'object';
    const at = primitive ? this.index.get(key) : undefined;
    if (at !== undefined) {
      this.values[at] = value;
      return;
    }
    if (primitive) this.index.set(key, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
  }
}

export class PySet {
  constructor(readonly items: PyValue[], readonly frozen: boolean) {}
}

/** A global the allowlist resolved: `call` builds an inert value from arguments and never runs user code. */
export class PyGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly call: ((args: PyValue[]) => PyValue) | undefined,
    /** A class whose instances are plain records (TorchScript objects). */
    readonly recordClass = false,
  ) {}
}

/** An instance of an allowed record class (a TorchScript module, a numpy dtype), with the state BUILD gave it. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly className: string,
    /** The constructor's arguments, where the record keeps them (numpy.dtype('f8', ...)). */
    readonly args: PyValue[] = [],
  ) {}
}

/** A storage named by a persistent id: its bytes are the zip entry `<folder>/<key>`. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly storageType: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** A tensor as torch._utils._rebuild_tensor_v2 describes it: a view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly quantization?: { scheme: string; scale?: number; zeroPoint?: number; scales?: TensorRef; zeroPoints?: TensorRef; axis?: number },
  ) {}
}

export class PyDevice {
  constructor(readonly spec: string) {}
}
