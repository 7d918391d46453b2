import type { GroupLayout, LayoutGroupInput, RankDir } from './layout-core';
import { FRAME, framedSize } from './layout-core';
import type { GraphViewModel, VisibleState } from './view-model';
import { nodeSize } from './node-box';

/** Box kinds in draw order: frames of expanded groups under everything, then collapsed groups and nodes. */
export const enum BoxKind {
  Node = 0,
  Group = 1,
  Frame = 2,
}

/** Everything the canvas draws, in world coordinates, as flat arrays (20k boxes stay cheap to scan and cull). */
export interface Scene {
  count: number;
  item: Int32Array;
  kind: Uint8Array;
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  h: Float32Array;
  /** item -> box index (-1 when not drawn). */
  boxOf: Int32Array;
  edges: SceneEdge[];
  width: number;
  height: number;
}

export interface SceneEdge {
  /** Flat polyline [x0, y0, ...]; for curves, 4 Bézier control points. */
  pts: Float32Array;
  curve: boolean;
  from: number;
  to: number;
  /** Payload edge index (its value gives the label). */
  edge: number;
  /** Bounding box for culling. */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const CHAR_W = 6.8;
export const NODE_H = 36;
export const IO_H = 26;
export const GROUP_H = 44;

export function nodeLabelWidth(text: string): number {
  return Math.min(260, Math.max(64, Math.ceil(text.length * CHAR_W) + 20));
}

/** The size an item takes when it is not an expanded group. */
export function leafSize(vm: GraphViewModel, item: number): [number, number] {
  if (vm.isGroup(item)) {
    const s = vm.scopeOf(item);
    return [nodeLabelWidth(`${vm.groupLabel(s)}  ·  ${vm.scopeSize[s]}`) + 16, GROUP_H];
  }
  const node = vm.payload.nodes[item];
  if (node.kind !== 'op') return [nodeLabelWidth(node.name), IO_H];
  return nodeSize(vm, item);
}

/** The worker's input: per expanded group, item sizes (expanded children by reference) and local edges. */
export function layoutInput(vm: GraphViewModel, vis: VisibleState): LayoutGroupInput[] {
  const jobIndex = new Map<number, number>();
  return vis.groups.map((g, k) => {
    jobIndex.set(g.scope, k);
    const sizes: number[] = [];
    for (const item of g.items) {
      if (vm.isGroup(item) && vm.expanded[vm.scopeOf(item)]) sizes.push(-1 - jobIndex.get(vm.scopeOf(item))!, 0);
      else sizes.push(...leafSize(vm, item));
    }
    return { scope: g.scope, sizes, edges: g.edges.flat() };
  });
}

export function buildScene(vm: GraphViewModel, vis: VisibleState, layouts: GroupLayout[], rankdir: RankDir): Scene {
  const byScope = new Map(layouts.map((l) => [l.scope, l]));
  const reqByScope = new Map(vis.groups.map((g) => [g.scope, g]));
  const total = vm.n + vm.payload.scopes.length;
  const cap = vis.groups.reduce((a, g) => a + g.items.length, 0);
  const scene: Scene = {
    count: 0,
    item: new Int32Array(cap),
    kind: new Uint8Array(cap),
    x: new Float32Array(cap),
    y: new Float32Array(cap),
    w: new Float32Array(cap),
    h: new Float32Array(cap),
    boxOf: new Int32Array(total).fill(-1),
    edges: [],
    width: 0,
    height: 0,
  };
  const push = (item: number, kind: BoxKind, x: number, y: number, w: number, h: number): void => {
    const i = scene.count++;
    scene.item[i] = item;
    scene.kind[i] = kind;
    scene.x[i] = x;
    scene.y[i] = y;
    scene.w[i] = w;
    scene.h[i] = h;
    scene.boxOf[item] = i;
  };
  const place = (scope: number, ox: number, oy: number): void => {
    const l = byScope.get(scope)!;
    const req = reqByScope.get(scope)!;
    // Frames first (so they draw under their siblings' edges), then recurse into them.
    req.items.forEach((item, k) => {
      const cx = ox + l.xs[k];
      const cy = oy + l.ys[k];
      if (vm.isGroup(item) && vm.expanded[vm.scopeOf(item)]) {
        const child = byScope.get(vm.scopeOf(item))!;
        const [w, h] = framedSize(child);
        push(item, BoxKind.Frame, cx - w / 2, cy - h / 2, w, h);
        place(vm.scopeOf(item), cx - w / 2 + FRAME.side, cy - h / 2 + FRAME.top);
      } else {
        const [w, h] = leafSize(vm, item);
        push(item, vm.isGroup(item) ? BoxKind.Group : BoxKind.Node, cx - w / 2, cy - h / 2, w, h);
      }
    });
    req.edges.forEach(([a, b], k) => {
      const ref = req.edgeRef[k];
      if (ref < 0) return; // ordering hint for a cross-group edge
      const src = l.points[k] ?? [];
      const pts = new Float32Array(src.length);
      for (let i = 0; i < src.length; i += 2) {
        pts[i] = src[i] + ox;
        pts[i + 1] = src[i + 1] + oy;
      }
      scene.edges.push(withBounds({ pts, curve: false, from: req.items[a], to: req.items[b], edge: ref }));
    });
  };
  const root = byScope.get(0)!;
  place(0, 0, 0);
  scene.width = root.width;
  scene.height = root.height;
  for (const [a, b, e] of vis.crossEdges) {
    const ba = scene.boxOf[a];
    const bb = scene.boxOf[b];
    if (ba < 0 || bb < 0) continue;
    scene.edges.push(withBounds({ pts: curveBetween(scene, ba, bb, rankdir), curve: true, from: a, to: b, edge: e }));
  }
  return scene;
}

function curveBetween(s: Scene, a: number, b: number, rankdir: RankDir): Float32Array {
  if (rankdir === 'TB') {
    const x0 = s.x[a] + s.w[a] / 2, y0 = s.y[a] + s.h[a];
    const x1 = s.x[b] + s.w[b] / 2, y1 = s.y[b];
    const d = Math.max(20, Math.abs(y1 - y0) / 2);
    return new Float32Array([x0, y0, x0, y0 + d, x1, y1 - d, x1, y1]);
  }
  const x0 = s.x[a] + s.w[a], y0 = s.y[a] + s.h[a] / 2;
  const x1 = s.x[b], y1 = s.y[b] + s.h[b] / 2;
  const d = Math.max(20, Math.abs(x1 - x0) / 2);
  return new Float32Array([x0, y0, x0 + d, y0, x1 - d, y1, x1, y1]);
}

function withBounds(e: Omit<SceneEdge, 'minX' | 'minY' | 'maxX' | 'maxY'>): SceneEdge {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < e.pts.length; i += 2) {
    minX = Math.min(minX, e.pts[i]);
    maxX = Math.max(maxX, e.pts[i]);
    minY = Math.min(minY, e.pts[i + 1]);
    maxY = Math.max(maxY, e.pts[i + 1]);
  }
  return { ...e, minX, minY, maxX, maxY };
}

/** The topmost box under a world point (nodes and collapsed groups before frames). */
export function hitTest(s: Scene, wx: number, wy: number): number {
  let frame = -1;
  for (let i = s.count - 1; i >= 0; i--) {
    if (wx < s.x[i] || wy < s.y[i] || wx > s.x[i] + s.w[i] || wy > s.y[i] + s.h[i]) continue;
    if (s.kind[i] !== BoxKind.Frame) return i;
    // Deeper frames come later in the arrays, so the first frame found scanning backwards is the innermost.
    if (frame < 0) frame = i;
  }
  return frame;
}
