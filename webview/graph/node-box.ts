import type { GraphViewModel } from './view-model';

/**
 * What an op node's box says and how big it is: the operator; the node's name when it is not the operator's default
 * ("Shape_1" under Shape says nothing) and its key attributes; one row per weight or folded constant; the shape
 * badge when shape plumbing folds into it.
 */
export interface NodeBox {
  w: number;
  h: number;
  title: string;
  /** Name and key attributes, '' when neither says anything. */
  sub: string;
  rows: string[];
  /** "▸ shape from input_ids ×5 ops" (▾ when opened in place), '' without shape plumbing. */
  badge: string;
}

export const TITLE_H = 20;
export const SUB_H = 13;
export const ROW_H = 13;
export const BADGE_H = 16;
const PAD_BOTTOM = 5;
const MIN_H = 36;
const MAX_W = 280;

const width = (chars: number, perChar: number) => Math.ceil(chars * perChar) + 20;

/** True when the name is only the exporter's default for its operator: "Shape", "Shape_1", "/layer/Shape_1". */
export function isDefaultName(name: string, op: string): boolean {
  if (!name) return true;
  const tail = name.slice(name.lastIndexOf('/') + 1);
  if (tail.length < op.length || tail.slice(0, op.length).toLowerCase() !== op.toLowerCase()) return false;
  return /^(_?\d+)?$/.test(tail.slice(op.length));
}

/** Sizes only, per view model: the layout asks for every node's, the text is rebuilt for the few boxes on screen. */
const sizes = new WeakMap<GraphViewModel, Float32Array>();

export function nodeSize(vm: GraphViewModel, i: number): [number, number] {
  let s = sizes.get(vm);
  if (!s) sizes.set(vm, (s = new Float32Array(2 * vm.n)));
  if (!s[2 * i]) {
    const b = nodeBox(vm, i);
    s[2 * i] = b.w;
    s[2 * i + 1] = b.h;
  }
  return [s[2 * i], s[2 * i + 1]];
}

const NO_ROWS: string[] = [];

export function nodeBox(vm: GraphViewModel, i: number): NodeBox {
  const node = vm.payload.nodes[i];
  const title = vm.payload.ops[node.op];
  const name = isDefaultName(node.name, title) ? '' : node.name;
  const sub = [name, node.attrs ?? ''].filter(Boolean).join(' · ');
  // Rows standing for folded nodes go when those nodes are drawn as boxes again.
  const rows = node.rows ? node.rows.filter((r) => r.node === undefined || vm.hidden[r.node]).map((r) => (r.name ? `${r.name} ${r.text}` : r.text)) : NO_ROWS;
  let badge = '';
  if (node.shapeFrom) {
    const open = vm.fold.showShapeOps || vm.fold.openShapes.has(i);
    const from = node.shapeFrom.from.length ? ` from ${node.shapeFrom.from.map(short).join(', ')}` : '';
    badge = `${open ? '▾' : '▸'} shape${from} ×${node.shapeFrom.ops} op${node.shapeFrom.ops === 1 ? '' : 's'}`;
  }
  let w = width(title.length, 7.4) + (node.weights ? 48 : 0);
  if (sub) w = Math.max(w, width(sub.length, 6.3));
  for (const r of rows) w = Math.max(w, width(r.length, 5.9));
  if (badge) w = Math.max(w, width(badge.length, 5.9) + 6);
  const h = Math.max(MIN_H, TITLE_H + (sub ? SUB_H : 0) + rows.length * ROW_H + (badge ? BADGE_H : 0) + PAD_BOTTOM);
  return { w: Math.min(MAX_W, Math.max(64, w)), h, title, sub, rows, badge };
}

/** A value name's last path segment: "/layer.0/attention/query/Add_output_0" -> "query/Add". */
function short(v: string): string {
  const parts = v.replace(/_output_\d+$/, '').split('/').filter(Boolean);
  return parts.slice(-2).join('/') || v;
}

/** Whether a point at `localY` below the box's top falls on its shape badge. */
export function onBadge(vm: GraphViewModel, i: number, localY: number, h: number): boolean {
  return !!vm.payload.nodes[i].shapeFrom && localY >= h - BADGE_H - PAD_BOTTOM && localY <= h;
}
