import { ModelError } from '../../model/errors';
import { float16ToNumber } from '../../model/float-bits';
import { CONSTANT_GLOBALS, CONSTRUCTOR_GLOBALS, DTYPE_GLOBALS, STORAGE_DTYPES, isTorchScriptClass } from './allowlist';
import { PyDevice, PyDict, PyGlobal, PyObject, PySet, PyTuple, StorageRef, TensorRef, type PyValue } from './pickle-values';
import { typeName } from './unpickler';

/** Tensors of higher rank than this are not model weights; refusing them bounds the shape arithmetic. */
const MAX_RANK = 64;

export interface GlobalContext {
  readonly file: string;
  /** Which pickle, for errors. */
  readonly what: string;
  readonly torchScript: boolean;
}

/** The name as shown in errors: printable, bounded. */
function shown(module: string, name: string): string {
  const q = `${module}.${name}`.replace(/[^\x20-\x7e]/g, '?');
  return q.length > 120 ? `${q.slice(0, 119)}…` : q;
}

/**
 * Resolves a GLOBAL to an inert value or constructor, or refuses it by name. This is the single gate between a
 * pickle and anything callable.
 */
export function resolveGlobal(module: string, name: string, ctx: GlobalContext): PyGlobal {
  const q = `${module}.${name}`;
  const fail = (problem: string) => new ModelError(ctx.file, problem);
  if (CONSTRUCTOR_GLOBALS.has(q)) return new PyGlobal(q, constructorFor(q, ctx));
  if (Object.hasOwn(STORAGE_DTYPES, q) || Object.hasOwn(DTYPE_GLOBALS, q) || CONSTANT_GLOBALS.has(q)) return new PyGlobal(q, undefined);
  if (ctx.torchScript && isTorchScriptClass(q)) return new PyGlobal(q, undefined, true);
  const hint = /^(torch\.nn\.|__main__\.|copyreg\._reconstructor)/.test(q) ? '; a whole pickled model is not read, save its state_dict() instead' : '';
  throw fail(`pickle refers to ${shown(module, name)}, which is not on the allowlist of data types (nothing was executed${hint})`);
}

function constructorFor(q: string, ctx: GlobalContext): (args: PyValue[]) => PyValue {
  const fail = (problem: string) => new ModelError(ctx.file, `${ctx.what}: ${q}: ${problem}`);
  switch (q) {
    case 'collections.OrderedDict': {
      return (args) => {
        const d = new PyDict();
        if (args.length && Array.isArray(args[0])) {
          for (const pair of args[0]) if (pair instanceof PyTuple && pair.items.length === 2) d.set(pair.items[0], pair.items[1]);
        }
        return d;
      };
    }
    case 'builtins.set': case '__builtin__.set':
    case 'builtins.frozenset': case '__builtin__.frozenset':
      return (args) => new PySet(args.length ? itemsOf(args[0], fail) : [], q.endsWith('frozenset'));
    case 'builtins.slice': case '__builtin__.slice':
      return (args) => new PyTuple(args.slice(0, 3));
    case 'builtins.bytes': case '__builtin__.bytes':
    case 'builtins.bytearray': case '__builtin__.bytearray':
      // bytes() / bytearray(b'...'): protocols 0-2 write empty bytes as bytes() and the rest via _codecs.encode.
      return (args) => {
        if (args.length === 0) return new Uint8Array(0);
        if (args[0] instanceof Uint8Array) return args[0];
        throw fail(`from a ${typeName(args[0])} is not read`);
      };
    case '_codecs.encode':
      // Protocol 2 writes bytes as _codecs.encode(text, 'latin1'): each code point below 256 is one byte.
      return (args) => {
        const [s, enc] = args;
        if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) throw fail('only latin1 encoding of a string is read');
        const out = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c > 255) throw fail('a character outside latin1');
          out[i] = c;
        }
        return out;
      };
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      return (args) => tensorOf(args, fail);
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return (args) => {
        if (!(args[0] instanceof TensorRef)) throw fail(`its data is a ${typeName(args[0])}, not a tensor`);
        return args[0];
      };
    case 'torch._utils._rebuild_qtensor':
      return (args) => qtensorOf(args, fail);
    case 'torch._tensor._rebuild_from_type_v2':
      // (func, new_type, args, state): func is itself an allowlisted constructor, resolved when it was read.
      return (args) => {
        const [fn, type, inner] = args;
        if (!(fn instanceof PyGlobal) || !fn.call || !(inner instanceof PyTuple)) throw fail('unexpected arguments');
        if (!(type instanceof PyGlobal) || !CONSTANT_GLOBALS.has(type.qualifiedName)) throw fail(`rebuilds as a ${typeName(type)}`);
        return fn.call(inner.items);
      };
    case 'numpy.dtype':
      return (args) => new PyObject(q, args.slice(0, 3));
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
      return (args) => numpyScalar(args, fail);
    case 'torch.Size':
      return (args) => new PyTuple(args.length ? itemsOf(args[0], fail) : []);
    case 'torch.device':
      return (args) => new PyDevice(args.map((a) => String(a)).join(':'));
    default:
      // TorchScript's typed-container helpers: the value is the first argument.
      return (args) => args[0] ?? null;
  }
}

function itemsOf(v: PyValue, fail: (p: string) => Error): PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  throw fail(`expects a list or tuple, not a ${typeName(v)}`);
}

function intOf(v: PyValue, what: string, fail: (p: string) => Error): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fail(`${what} is ${typeof v === 'bigint' ? String(v) : typeName(v)}, not a non-negative integer`);
  return v;
}

function intsOf(v: PyValue, what: string, fail: (p: string) => Error): number[] {
  const items = itemsOf(v, fail);
  if (items.length > MAX_RANK) throw fail(`${what} has ${items.length} dimensions (at most ${MAX_RANK} are read)`);
  return items.map((x, i) => intOf(x, `${what}[${i}]`, fail));
}

function tensorOf(args: PyValue[], fail: (p: string) => Error, quantization?: TensorRef['quantization']): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw fail(`its storage is a ${typeName(storage)}, not a storage reference`);
  const shape = intsOf(size, 'size', fail);
  const strides = intsOf(stride, 'stride', fail);
  if (strides.length !== shape.length) throw fail(`size has ${shape.length} dimensions but stride ${strides.length}`);
  return new TensorRef(storage, intOf(offset, 'storage offset', fail), shape, strides, quantization);
}

/** _rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad, hooks). */
function qtensorOf(args: PyValue[], fail: (p: string) => Error): TensorRef {
  const params = args[4];
  if (!(params instanceof PyTuple) || !(params.items[0] instanceof PyGlobal)) throw fail('quantizer parameters are not a (scheme, ...) tuple');
  const scheme = params.items[0].qualifiedName.replace(/^torch\./, '');
  const p = params.items;
  const num = (v: PyValue) => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN);
  let q: TensorRef['quantization'];
  if (scheme === 'per_tensor_affine' || scheme === 'per_tensor_symmetric') q = { scheme, scale: num(p[1]), zeroPoint: num(p[2]) };
  else if (p[1] instanceof TensorRef && p[2] instanceof TensorRef) q = { scheme, scales: p[1], zeroPoints: p[2], axis: num(p[3]) };
  else q = { scheme };
  return tensorOf(args, fail, q);
}

/** Turns a persistent id ('storage', StorageType, key, location, numel) into a storage reference. */
export function storageFromPid(pid: PyValue, ctx: GlobalContext, seen: Map<string, StorageRef>): StorageRef {
  const fail = (problem: string) => new ModelError(ctx.file, `${ctx.what}: persistent id ${problem}`);
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5) throw fail(`is a ${typeName(pid)}, not a ('storage', type, key, location, size) tuple`);
  const [, type, key, location, numel, view] = pid.items;
  // Legacy (torch < 1.6) ids carry a sixth item for views of a bigger storage, which only very old torch wrote.
  if (view !== undefined && view !== null) throw fail(`is a view of another storage (written by a very old torch), which is not read`);
  if (!(type instanceof PyGlobal) || !Object.hasOwn(STORAGE_DTYPES, type.qualifiedName)) throw fail(`names a ${typeName(type)}, not a storage type`);
  if (typeof key !== 'string' || !/^[\w.-]{1,128}$/.test(key)) throw fail(`has a storage key that is not a plain name`);
  const n = intOf(numel, 'storage size', (p) => fail(p));
  const prior = seen.get(key);
  if (prior) {
    if (prior.dtype !== STORAGE_DTYPES[type.qualifiedName]) throw fail(`reads storage ${key} as ${STORAGE_DTYPES[type.qualifiedName]} after ${prior.dtype}`);
    return prior;
  }
  const ref = new StorageRef(key, STORAGE_DTYPES[type.qualifiedName], type.qualifiedName.replace(/^torch\.(storage\.)?/, ''), typeof location === 'string' ? location : String(location), n);
  seen.set(key, ref);
  return ref;
}

/** numpy.core.multiarray.scalar(dtype, bytes): one number decoded from its bytes, for the kinds checkpoints hold. */
function numpyScalar(args: PyValue[], fail: (p: string) => Error): PyValue {
  const [dtype, raw] = args;
  if (!(dtype instanceof PyObject) || dtype.className !== 'numpy.dtype' || typeof dtype.args[0] !== 'string' || !(raw instanceof Uint8Array)) {
    throw fail('expects a numpy dtype and bytes');
  }
  const code = dtype.args[0];
  const order = dtype.state instanceof PyTuple ? dtype.state.items[1] : '<';
  const little = order !== '>';
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const sizes: Record<string, number> = { f8: 8, f4: 4, f2: 2, i8: 8, i4: 4, i2: 2, i1: 1, u8: 8, u4: 4, u2: 2, u1: 1, b1: 1 };
  if (sizes[code] !== raw.byteLength) throw fail(`a numpy ${code.slice(0, 8)} scalar of ${raw.byteLength} bytes is not read`);
  switch (code) {
    case 'f8': return v.getFloat64(0, little);
    case 'f4': return v.getFloat32(0, little);
    case 'f2': return float16ToNumber(v.getUint16(0, little));
    case 'i8': return narrowBig(v.getBigInt64(0, little));
    case 'u8': return narrowBig(v.getBigUint64(0, little));
    case 'i4': return v.getInt32(0, little);
    case 'u4': return v.getUint32(0, little);
    case 'i2': return v.getInt16(0, little);
    case 'u2': return v.getUint16(0, little);
    case 'i1': return v.getInt8(0);
    case 'u1': return v.getUint8(0);
    default: return v.getUint8(0) !== 0; // b1
  }
}

function narrowBig(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
