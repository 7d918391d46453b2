import { ModelError } from '../../model/errors';
import { Pacer } from '../pace';
import { PyDict, PyGlobal, PyObject, PySet, PyTuple, type PyValue } from './pickle-values';

/**
 * A restricted pickle VM (protocols 0-5). It executes nothing: every GLOBAL goes through `hooks.global`, which
 * answers only for names on the allowlist (inert constructors) and refuses the rest by name; a REDUCE/NEWOBJ/BUILD
 * can only apply those constructors or fill plain records. Every length is checked against the bytes left before
 * anything is allocated, so the pickle's own size bounds the memo, the stack and every string.
 */
export interface UnpickleHooks {
  /** Shown in errors: the archive file. */
  readonly file: string;
  /** Shown in errors: which pickle ("data.pkl"). */
  readonly what: string;
  global(module: string, name: string): PyGlobal;
  persistentLoad(pid: PyValue): PyValue;
  readonly signal?: AbortSignal;
}

/** Python ints wider than this are not model data; refusing them keeps BigInt parsing cheap. */
const MAX_LONG_BYTES = 1024;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function unpickle(bytes: Uint8Array, hooks: UnpickleHooks): Promise<PyValue> {
  return (await unpickleAt(bytes, 0, hooks)).value;
}

/** Reads one pickle starting at `start`; `end` is the byte after its STOP (the legacy format chains several). */
export async function unpickleAt(bytes: Uint8Array, start: number, hooks: UnpickleHooks): Promise<{ value: PyValue; end: number }> {
  const fail = (problem: string) => new ModelError(hooks.file, `${hooks.what}: ${problem}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pacer = new Pacer(hooks.signal);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = start;
  let at = start;
  let op = 0;

  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.byteLength) throw fail(`truncated: opcode 0x${op.toString(16)} at byte ${at} needs ${n} more bytes, ${bytes.byteLength - pos} are left`);
  };
  const u8 = () => { need(1); return bytes[pos++]; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.byteLength)) throw fail(`opcode 0x${op.toString(16)} at byte ${at} gives a length of ${v}, more than the pickle holds`);
    return Number(v);
  };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail(`truncated: opcode 0x${op.toString(16)} at byte ${at} has no end of line`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      throw fail(`a string at byte ${at} is not valid UTF-8`);
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || stack.length <= (marks.at(-1) ?? -1)) throw fail(`opcode 0x${op.toString(16)} at byte ${at} pops an empty stack`);
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw fail(`opcode 0x${op.toString(16)} at byte ${at} needs a value on the stack`);
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw fail(`opcode 0x${op.toString(16)} at byte ${at} has no MARK before it`);
    return stack.splice(m);
  };
  const push = (v: PyValue) => stack.push(v);
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw fail(`memo entry ${i} is read at byte ${at} before it was written`);
    return memo.get(i)!;
  };
  const memoPut = (i: number) => memo.set(i, top());
  const long = (b: Uint8Array): number | bigint => {
    if (b.byteLength === 0) return 0;
    if (b.byteLength > MAX_LONG_BYTES) throw fail(`an integer of ${b.byteLength} bytes at byte ${at}`);
    let v = 0n;
    for (let i = b.byteLength - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.byteLength - 1] & 0x80) v -= 1n << BigInt(8 * b.byteLength);
    return narrow(v);
  };
  const call = (fn: PyValue, args: PyValue[]): PyValue => {
    if (!(fn instanceof PyGlobal)) throw fail(`byte ${at} calls a ${typeName(fn)}, not an allowed constructor`);
    if (fn.recordClass) return new PyObject(fn.qualifiedName);
    if (!fn.call) throw fail(`${fn.qualifiedName} is a value, not a constructor (byte ${at})`);
    return fn.call(args);
  };
  const resolve = (module: string, name: string) => hooks.global(module, name);

  for (;;) {
    const wait = pacer.tick();
    if (wait) await wait;
    at = pos;
    if (pos >= bytes.byteLength) throw fail(`truncated: the pickle ends at byte ${pos} without a STOP opcode`);
    op = bytes[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) throw fail(`pickle protocol ${v} is newer than protocol 5`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(long(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) throw fail(`negative LONG4 length at byte ${at}`);
        push(long(take(n)));
        break;
      }
      case 0x49: { // INT (text; "00"/"01" are bools in protocol 0)
        const s = line().trim();
        if (s === '00' || s === '01') push(s === '01');
        else push(parseIntText(s, fail));
        break;
      }
      case 0x4c: push(parseIntText(line().trim().replace(/L$/, ''), fail)); break; // LONG (text)
      case 0x46: { // FLOAT (text)
        const s = line().trim();
        const v = Number(s);
        if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) throw fail(`bad FLOAT "${s.slice(0, 40)}" at byte ${at}`);
        push(v);
        break;
      }
      case 0x47: { need(8); push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: push(text(take(u32()))); break; // BINUNICODE
      case 0x8c: push(text(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(text(take(u64()))); break; // BINUNICODE8
      case 0x56: push(rawUnicodeEscape(line())); break; // UNICODE (text)
      case 0x53: push(pythonStringLiteral(line(), fail)); break; // STRING (text, protocol 0)
      case 0x54: { const n = i32(); if (n < 0) throw fail(`negative BINSTRING length at byte ${at}`); push(latin1.decode(take(n))); break; } // BINSTRING
      case 0x55: push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: push(take(u32()).slice()); break; // BINBYTES
      case 0x43: push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: push(new PyTuple(popMark())); break; // TUPLE
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x6c: push(popMark()); break; // LIST
      case 0x61: { const v = pop(); listOf(top(), fail, at).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = listOf(top(), fail, at); for (const v of items) l.push(v); break; } // APPENDS
      case 0x7d: push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        if (items.length % 2) throw fail(`DICT at byte ${at} has an odd number of items`);
        const d = new PyDict();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); dictOf(top(), fail, at).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) throw fail(`SETITEMS at byte ${at} has an odd number of items`);
        const d = dictOf(top(), fail, at);
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x8f: push(new PySet([], false)); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet) || s.frozen) throw fail(`ADDITEMS at byte ${at} adds to a ${typeName(s)}`);
        s.items.push(...items);
        break;
      }
      case 0x91: push(new PySet(popMark(), true)); break; // FROZENSET
      case 0x70: memoPut(parseIntText(line().trim(), fail) as number); break; // PUT (text)
      case 0x71: memoPut(u8()); break; // BINPUT
      case 0x72: memoPut(u32()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size); break; // MEMOIZE
      case 0x67: push(memoGet(parseIntText(line().trim(), fail) as number)); break; // GET (text)
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); push(resolve(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail(`STACK_GLOBAL at byte ${at} names a ${typeName(module)}.${typeName(name)}, not strings`);
        push(resolve(module, name));
        break;
      }
      case 0x69: { // INST: class from the line, arguments from the mark
        const module = line();
        const name = line();
        const cls = resolve(module, name);
        push(call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ: class and arguments from the mark
        const items = popMark();
        if (items.length === 0) throw fail(`OBJ at byte ${at} has no class`);
        push(call(items[0], items.slice(1)));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(args instanceof PyTuple)) throw fail(`REDUCE at byte ${at} has ${typeName(args)} arguments, not a tuple`);
        push(call(fn, args.items));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) throw fail(`NEWOBJ at byte ${at} has ${typeName(args)} arguments, not a tuple`);
        push(call(cls, args.items));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict) || kwargs.keys.length) throw fail(`NEWOBJ_EX at byte ${at} with keyword arguments is not read`);
        push(call(cls, args.items));
        break;
      }
      case 0x62: { // BUILD: set state on a record; never calls __setstate__
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof PyDict) obj.attrs = state;
        else throw fail(`BUILD at byte ${at} sets state on a ${typeName(obj)}`);
        break;
      }
      case 0x51: push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x50: push(hooks.persistentLoad(line())); break; // PERSID
      case 0x82: case 0x83: case 0x84:
        throw fail(`the pickle uses the copyreg extension registry (opcode 0x${op.toString(16)} at byte ${at}), which is not read`);
      case 0x97: case 0x98:
        throw fail(`the pickle uses out-of-band buffers (opcode 0x${op.toString(16)} at byte ${at}), which are not read`);
      default:
        throw fail(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }
}

function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, fail: (p: string) => Error): number | bigint {
  if (!/^[+-]?\d{1,400}$/.test(s)) throw fail(`bad integer "${s.slice(0, 40)}"`);
  return narrow(BigInt(s));
}

function listOf(v: PyValue, fail: (p: string) => Error, at: number): PyValue[] {
  if (!Array.isArray(v)) throw fail(`APPEND at byte ${at} appends to a ${typeName(v)}, not a list`);
  return v;
}

function dictOf(v: PyValue, fail: (p: string) => Error, at: number): PyDict {
  if (!(v instanceof PyDict)) throw fail(`SETITEM at byte ${at} sets an item of a ${typeName(v)}, not a dict`);
  return v;
}

/** Python's raw-unicode-escape: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt((a ?? b)!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
  });
}

/** A protocol-0 STRING: a quoted Python literal with backslash escapes. */
function pythonStringLiteral(s: string, fail: (p: string) => Error): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) throw fail('a STRING opcode without quotes');
  const body = s.slice(1, -1);
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : simple[e] ?? `\\${e}`));
}

/** The Python-ish type of a value, for error messages. */
export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return v.frozen ? 'frozenset' : 'set';
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (v instanceof PyObject) return v.className;
  if (typeof v === 'object') return v.constructor.name;
  return typeof v === 'bigint' ? 'int' : typeof v === 'number' ? 'number' : typeof v === 'string' ? 'str' : typeof v;
}
