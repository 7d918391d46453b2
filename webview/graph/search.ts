import type { GraphViewModel } from './view-model';

/** Finds nodes by name, op type or tensor name (case-insensitive substring); exact op-type matches come first. */
export function searchNodes(vm: GraphViewModel, query: string, limit = 5000): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const p = vm.payload;
  const opLower = p.ops.map((o) => o.toLowerCase());
  const valueHit = p.values.map((v) => v.name.toLowerCase().includes(q));
  const exact: number[] = [];
  const partial: number[] = [];
  for (let i = 0; i < p.nodes.length && exact.length + partial.length < limit; i++) {
    const n = p.nodes[i];
    if (opLower[n.op] === q) exact.push(i);
    else if (opLower[n.op].includes(q) || n.id.toLowerCase().includes(q) || n.name.toLowerCase().includes(q) || n.io.some((v) => valueHit[v])) partial.push(i);
  }
  return exact.concat(partial);
}
