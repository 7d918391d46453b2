import type { DType } from '../../model/dtype';

/**
 * The only Python globals a PyTorch pickle may name. Each maps to an inert constructor in torch-globals.ts;
 * every other name (os.system, builtins.eval, a pickled nn.Module class, ...) is refused by name before anything
 * else happens. Keep this list short and data-only: nothing on it may stand for code.
 */

/** Storage classes named in persistent ids, with the element type of their bytes. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  'torch.FloatStorage': 'float32',
  'torch.DoubleStorage': 'float64',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.LongStorage': 'int64',
  'torch.IntStorage': 'int32',
  'torch.ShortStorage': 'int16',
  'torch.CharStorage': 'int8',
  'torch.ByteStorage': 'uint8',
  'torch.BoolStorage': 'bool',
  'torch.ComplexFloatStorage': 'complex64',
  'torch.ComplexDoubleStorage': 'complex128',
  'torch.QInt8Storage': 'int8',
  'torch.QUInt8Storage': 'uint8',
  'torch.QInt32Storage': 'int32',
  'torch.Float8_e4m3fnStorage': 'float8e4m3fn',
  'torch.Float8_e5m2Storage': 'float8e5m2',
  'torch.Float8_e4m3fnuzStorage': 'float8e4m3fnuz',
  'torch.Float8_e5m2fnuzStorage': 'float8e5m2fnuz',
  'torch.UInt16Storage': 'uint16',
  'torch.UInt32Storage': 'uint32',
  'torch.UInt64Storage': 'uint64',
  // Untyped storages are bytes; the tensor's dtype then comes from elsewhere (not written by torch.save today).
  'torch.UntypedStorage': 'uint8',
  'torch.storage.UntypedStorage': 'uint8',
};

/** dtype objects (torch.float32 ...) as they appear in pickled dicts and tensor metadata. */
export const DTYPE_GLOBALS: Readonly<Record<string, DType>> = {
  'torch.float32': 'float32', 'torch.float': 'float32', 'torch.float64': 'float64', 'torch.double': 'float64',
  'torch.float16': 'float16', 'torch.half': 'float16', 'torch.bfloat16': 'bfloat16',
  'torch.int64': 'int64', 'torch.long': 'int64', 'torch.int32': 'int32', 'torch.int': 'int32',
  'torch.int16': 'int16', 'torch.short': 'int16', 'torch.int8': 'int8', 'torch.uint8': 'uint8', 'torch.bool': 'bool',
  'torch.complex64': 'complex64', 'torch.complex128': 'complex128',
  'torch.qint8': 'int8', 'torch.quint8': 'uint8', 'torch.qint32': 'int32',
  'torch.float8_e4m3fn': 'float8e4m3fn', 'torch.float8_e5m2': 'float8e5m2',
  'torch.uint16': 'uint16', 'torch.uint32': 'uint32', 'torch.uint64': 'uint64',
};

/** Named constants that are values, not constructors. */
export const CONSTANT_GLOBALS: ReadonlySet<string> = new Set([
  'torch.per_tensor_affine', 'torch.per_channel_affine', 'torch.per_tensor_symmetric', 'torch.per_channel_symmetric',
  'torch.per_channel_affine_float_qparams',
  // Tensor classes _rebuild_from_type_v2 may name as the type to rebuild as (the data is the same tensor).
  'torch.Tensor', 'torch.nn.parameter.Parameter',
]);

/** Inert constructors, implemented in torch-globals.ts. */
export const CONSTRUCTOR_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'builtins.set', 'builtins.frozenset', 'builtins.slice', 'builtins.bytes', 'builtins.bytearray',
  '__builtin__.set', '__builtin__.frozenset', '__builtin__.slice', '__builtin__.bytes', '__builtin__.bytearray',
  '_codecs.encode',
  'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._tensor._rebuild_from_type_v2',
  'torch.Size', 'torch.device',
  // numpy scalars in checkpoints (np.float64(0.75)): a dtype record and the scalar decoded from its bytes.
  'numpy.dtype', 'numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar',
  // TorchScript's typed containers: each returns its argument.
  'torch.jit._pickle.build_intlist', 'torch.jit._pickle.build_doublelist', 'torch.jit._pickle.build_boollist',
  'torch.jit._pickle.build_tensorlist', 'torch.jit._pickle.build_intlist', 'torch.jit._pickle.restore_type_tag',
]);

/**
 * TorchScript archives name their module classes under `__torch__.`; there (and only there) such a class builds
 * a plain record of its attributes. No Python module of that name exists, so nothing could run even in torch.
 */
export function isTorchScriptClass(qualifiedName: string): boolean {
  return qualifiedName.startsWith('__torch__.') && /^[\w.]+$/.test(qualifiedName);
}
