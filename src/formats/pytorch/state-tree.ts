import { Pacer } from '../pace';
import { PyDevice, PyDict, PyGlobal, PyObject, PySet, PyTuple, TensorRef, type PyValue } from './pickle-values';

/** Past this many containers visited the walk stops: a pickle's memo can make a DAG with exponentially many paths. */
const MAX_VISITS = 1_000_000;
const MAX_DEPTH = 200;
/** Scalars shown in the Overview's metadata; a checkpoint's optimizer state can hold thousands. */
const MAX_SCALARS = 200;
const MAX_SCALAR_CHARS = 200;

export interface StateTree {
  /** Tensors by their path (state-dict keys, nested dicts and lists joined with '.'), in pickle order. */
  readonly tensors: { name: string; ref: TensorRef }[];
  /** Plain values found next to the tensors in dicts and lists (a checkpoint's epoch, lr), by path. */
  readonly scalars: Record<string, string>;
  readonly warnings: string[];
}

/**
 * Walks what data.pkl built and names its tensors by path: a state_dict gives its own keys, a checkpoint
 * {'model': sd, 'epoch': 3} gives "model.conv.weight" and the scalar "epoch", a TorchScript module its attribute
 * paths ("l.weight"). Shared subtrees are walked at each path; cycles are cut.
 */
export async function walkState(root: PyValue, signal?: AbortSignal, rootName = ''): Promise<StateTree> {
  const tensors: StateTree['tensors'] = [];
  const scalars: Record<string, string> = {};
  const warnings: string[] = [];
  const used = new Set<string>();
  const onPath = new Set<object>();
  const pacer = new Pacer(signal);
  let visits = 0;
  let scalarCount = 0;
  let stopped = false;

  const unique = (name: string) => {
    let n = name || 'tensor';
    for (let i = 2; used.has(n); i++) n = `${name || 'tensor'}#${i}`;
    used.add(n);
    return n;
  };
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  const addScalar = (path: string, text: string) => {
    if (!path) return;
    if (++scalarCount > MAX_SCALARS) return;
    scalars[path] = text.length > MAX_SCALAR_CHARS ? `${text.slice(0, MAX_SCALAR_CHARS - 1)}…` : text;
  };

  const walk = async (v: PyValue, path: string, depth: number, inRecord: boolean): Promise<void> => {
    if (stopped) return;
    if (v instanceof TensorRef) {
      tensors.push({ name: unique(path), ref: v });
      return;
    }
    const scalar = scalarText(v);
    if (scalar !== undefined) {
      if (!inRecord) addScalar(path, scalar);
      return;
    }
    if (typeof v !== 'object' || v === null || v instanceof Uint8Array) return;
    if (onPath.has(v)) return;
    if (++visits > MAX_VISITS || depth > MAX_DEPTH) {
      stopped = true;
      warnings.push(`the pickle's object tree is too ${depth > MAX_DEPTH ? 'deep' : 'large'} to walk whole: tensors past ${path || 'the root'} are not listed`);
      return;
    }
    const wait = pacer.tick();
    if (wait) await wait;
    onPath.add(v);
    try {
      if (v instanceof PyDict) {
        for (let i = 0; i < v.keys.length; i++) await walk(v.values[i], join(path, keyText(v.keys[i])), depth + 1, inRecord);
      } else if (v instanceof PyObject) {
        await walk(v.state, path, depth + 1, true);
      } else {
        const items = Array.isArray(v) ? v : v instanceof PyTuple || v instanceof PySet ? v.items : [];
        const list = listText(items);
        if (list !== undefined) {
          if (!inRecord) addScalar(path, list);
          return;
        }
        for (let i = 0; i < items.length; i++) await walk(items[i], join(path, String(i)), depth + 1, inRecord);
      }
    } finally {
      onPath.delete(v);
    }
  };
  await walk(root, rootName, 0, false);
  if (scalarCount > MAX_SCALARS) warnings.push(`${scalarCount - MAX_SCALARS} more plain values in the pickle are not shown in the metadata`);
  return { tensors, scalars, warnings };
}

function scalarText(v: PyValue): string | undefined {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v;
  if (v instanceof PyGlobal && !v.call && !v.recordClass) return v.qualifiedName;
  if (v instanceof PyDevice) return v.spec;
  return undefined;
}

/** A list of plain values is one metadata entry ("[0.9, 0.999]"), not one per item. */
function listText(items: PyValue[]): string | undefined {
  if (items.length === 0) return '[]';
  const parts: string[] = [];
  let chars = 0;
  for (const x of items) {
    const s = x === null ? 'None' : scalarText(x);
    if (s === undefined) return undefined;
    if (chars < MAX_SCALAR_CHARS) parts.push(typeof x === 'string' ? JSON.stringify(s) : s);
    chars += s.length + 2;
  }
  return `[${parts.join(', ')}${chars >= MAX_SCALAR_CHARS ? ', …' : ''}]`;
}

function keyText(k: PyValue): string {
  if (typeof k === 'string') return k;
  const s = k === null ? 'None' : scalarText(k);
  if (s !== undefined) return s;
  if (k instanceof PyTuple) return `(${k.items.map(keyText).join(', ')})`;
  return '?';
}
