import type { Node, Tensor } from '../../model';

/** Typed, defaulted access to an ONNX node's attributes (ints arrive as number, or string when beyond 2^53). */
export class NodeAttributes {
  private readonly byName = new Map<string, Node['attributes'][number]['value']>();
  constructor(node: Node) {
    for (const a of node.attributes) this.byName.set(a.name, a.value);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  int(name: string, def: number): number;
  int(name: string): number | undefined;
  int(name: string, def?: number): number | undefined {
    const v = this.byName.get(name);
    if (!v) return def;
    if (v.type === 'int') return clampInt(v.value);
    if (v.type === 'float') return v.value;
    return def;
  }

  float(name: string, def: number): number;
  float(name: string): number | undefined;
  float(name: string, def?: number): number | undefined {
    const v = this.byName.get(name);
    if (!v) return def;
    if (v.type === 'float') return v.value;
    if (v.type === 'int') return clampInt(v.value);
    return def;
  }

  ints(name: string): number[] | undefined {
    const v = this.byName.get(name);
    if (!v) return undefined;
    if (v.type === 'ints') return v.value.map(clampInt);
    if (v.type === 'int') return [clampInt(v.value)];
    return undefined;
  }

  floats(name: string): number[] | undefined {
    const v = this.byName.get(name);
    if (!v) return undefined;
    if (v.type === 'floats') return v.value;
    if (v.type === 'float') return [v.value];
    return undefined;
  }

  string(name: string, def: string): string;
  string(name: string): string | undefined;
  string(name: string, def?: string): string | undefined {
    const v = this.byName.get(name);
    return v?.type === 'string' ? v.value : def;
  }

  tensor(name: string): Tensor | undefined {
    const v = this.byName.get(name);
    return v?.type === 'tensor' ? v.value : undefined;
  }
}

/** int64 values beyond int32 only occur as "to the end" markers (Slice ends, INT64_MAX); int32 range keeps their meaning. */
export function clampInt(v: number | string): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Math.max(-2147483648, Math.min(2147483647, n));
}
