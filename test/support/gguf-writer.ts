// Writes GGUF files for the tests from the format's layout: header, typed key/value pairs (arrays included),
// tensor infos (dims innermost first), then the aligned data section.

export type KvValue =
  | { type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'u64' | 'i64' | 'f64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; of: 'string'; value: string[] }
  | { type: 'array'; of: 'i32' | 'f32' | 'u8'; value: number[] };

export interface GgufTensorSpec {
  name: string;
  /** As GGUF stores them: innermost first. */
  dims: number[];
  /** ggml_type id. */
  type: number;
  bytes: Uint8Array;
  /** The byte size the layout reserves for the tensor when `bytes` is not given in full (huge, sparse test files). */
  reserve?: number;
}

const TYPE_IDS = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;

class Out {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  num(type: keyof typeof TYPE_IDS, v: number | boolean): void {
    const sizes: Record<string, number> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, u64: 8, i64: 8, f64: 8 };
    const b = new Uint8Array(sizes[type]);
    const d = new DataView(b.buffer);
    const n = Number(v);
    switch (type) {
      case 'u8': case 'bool': d.setUint8(0, n); break;
      case 'i8': d.setInt8(0, n); break;
      case 'u16': d.setUint16(0, n, true); break;
      case 'i16': d.setInt16(0, n, true); break;
      case 'u32': d.setUint32(0, n, true); break;
      case 'i32': d.setInt32(0, n, true); break;
      case 'f32': d.setFloat32(0, n, true); break;
      case 'u64': d.setBigUint64(0, BigInt(n), true); break;
      case 'i64': d.setBigInt64(0, BigInt(n), true); break;
      case 'f64': d.setFloat64(0, n, true); break;
    }
    this.push(b);
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.num('u64', b.length);
    this.push(b);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/**
 * The file's bytes. Tensors are laid out in order, each at the next multiple of `alignment` (default 32).
 * `headerOnly`: just the bytes up to the data section (the caller extends the file, e.g. sparse).
 */
export function ggufBytes(kv: [string, KvValue][], tensors: GgufTensorSpec[], opts: { version?: number; alignment?: number; headerOnly?: boolean } = {}): Uint8Array {
  const align = opts.alignment ?? 32;
  const o = new Out();
  o.push(new TextEncoder().encode('GGUF'));
  o.num('u32', opts.version ?? 3);
  o.num('u64', tensors.length);
  o.num('u64', kv.length);
  for (const [k, v] of kv) {
    o.str(k);
    o.num('u32', TYPE_IDS[v.type]);
    if (v.type === 'string') o.str(v.value);
    else if (v.type === 'array') {
      o.num('u32', TYPE_IDS[v.of]);
      o.num('u64', v.value.length);
      for (const x of v.value) {
        if (typeof x === 'string') o.str(x);
        else o.num(v.of as 'i32', x);
      }
    } else o.num(v.type, v.value);
  }
  const offsets: number[] = [];
  let at = 0;
  for (const t of tensors) {
    offsets.push(at);
    at = Math.ceil((at + (t.reserve ?? t.bytes.length)) / align) * align;
  }
  tensors.forEach((t, i) => {
    o.str(t.name);
    o.num('u32', t.dims.length);
    for (const d of t.dims) o.num('u64', d);
    o.num('u32', t.type);
    o.num('u64', offsets[i]);
  });
  const dataStart = Math.ceil(o.length / align) * align;
  if (opts.headerOnly) {
    const head = new Uint8Array(dataStart);
    head.set(o.bytes());
    return head;
  }
  const out = new Uint8Array(dataStart + at);
  out.set(o.bytes());
  tensors.forEach((t, i) => out.set(t.bytes, dataStart + offsets[i]));
  return out;
}
