import * as dagre from '@dagrejs/dagre';

/**
 * Per-group layered layout with dagre, shared by the layout worker and the main-thread fallback. Groups come
 * children-first; an expanded child group's size is a reference to its own result earlier in the job. Results are
 * cached by content (sizes + edges + direction), so repeated blocks (transformer layers) are laid out once.
 */
export type RankDir = 'TB' | 'LR';

export interface LayoutGroupInput {
  scope: number;
  /** [w, h] per item; w < 0 means "the size of job group -w-1 (laid out earlier in this job)". */
  sizes: number[];
  /** Flat [from, to, from, to, ...] indices into the items. */
  edges: number[];
}

export interface LayoutJob {
  gen: number;
  rankdir: RankDir;
  groups: LayoutGroupInput[];
}

export interface GroupLayout {
  scope: number;
  /** Content size (without the group's own frame). */
  width: number;
  height: number;
  /** Item centres, relative to the content's top-left. */
  xs: number[];
  ys: number[];
  /** Per edge: flat [x0, y0, x1, y1, ...] relative to the content's top-left. */
  points: number[][];
}

/** Space around an expanded group's content: sides, header (title) and bottom. */
export const FRAME = { side: 12, top: 26, bottom: 10 };

export function framedSize(l: Pick<GroupLayout, 'width' | 'height'>): [number, number] {
  return [l.width + 2 * FRAME.side, l.height + FRAME.top + FRAME.bottom];
}

type Cached = Omit<GroupLayout, 'scope'>;

export class LayoutEngine {
  private readonly cache = new Map<string, Cached>();
  private readonly maxCache = 5000;

  /**
   * Runs a job; `shouldStop` is polled between groups (the worker yields there so a newer job can cancel it).
   * Returns undefined when stopped.
   */
  async run(job: LayoutJob, shouldStop: () => boolean, yieldNow: () => Promise<void>): Promise<GroupLayout[] | undefined> {
    const out: GroupLayout[] = [];
    let lastYield = performance.now();
    for (const g of job.groups) {
      const sizes = g.sizes.slice();
      for (let i = 0; i < sizes.length; i += 2) {
        if (sizes[i] < 0) {
          const [w, h] = framedSize(out[-sizes[i] - 1]);
          sizes[i] = w;
          sizes[i + 1] = h;
        }
      }
      const key = `${job.rankdir}|${sizes.join(',')}|${g.edges.join(',')}`;
      let hit = this.cache.get(key);
      if (!hit) {
        hit = layoutOne(job.rankdir, sizes, g.edges);
        if (this.cache.size >= this.maxCache) this.cache.clear();
        this.cache.set(key, hit);
      }
      out.push({ scope: g.scope, ...hit });
      if (performance.now() - lastYield > 30) {
        await yieldNow();
        if (shouldStop()) return undefined;
        lastYield = performance.now();
      }
    }
    // A job stopped while its last slice ran (no yield came after it) is stale too: its result is not posted.
    return shouldStop() ? undefined : out;
  }
}

const RANKSEP = 28;

/**
 * The items' order when the edges make one simple chain through all of them (a stack of transformer layers, a
 * ResNet stage), else undefined. Dagre takes most of a second on a 400-layer chain of big boxes; a chain needs none.
 */
function chainOrder(count: number, edges: number[]): number[] | undefined {
  if (edges.length / 2 !== count - 1) return undefined;
  const next = new Int32Array(count).fill(-1);
  const indeg = new Uint8Array(count);
  for (let e = 0; e < edges.length; e += 2) {
    const a = edges[e], b = edges[e + 1];
    if (a === b || next[a] >= 0 || indeg[b]) return undefined;
    next[a] = b;
    indeg[b] = 1;
  }
  let start = -1;
  for (let i = 0; i < count; i++) if (!indeg[i]) { if (start >= 0) return undefined; start = i; }
  const order: number[] = [];
  for (let i = start; i >= 0 && order.length <= count; i = next[i]) order.push(i);
  return order.length === count ? order : undefined;
}

/** A chain stacked along the rank direction, centred across it, as dagre would place it. */
function layoutChain(rankdir: RankDir, sizes: number[], edges: number[], order: number[]): Cached {
  const count = order.length;
  const tb = rankdir === 'TB';
  let across = 0;
  for (let i = 0; i < count; i++) across = Math.max(across, sizes[2 * i + (tb ? 0 : 1)]);
  const xs = new Array<number>(count), ys = new Array<number>(count);
  let along = 0;
  for (const i of order) {
    const len = sizes[2 * i + (tb ? 1 : 0)];
    if (tb) { xs[i] = across / 2; ys[i] = along + len / 2; }
    else { xs[i] = along + len / 2; ys[i] = across / 2; }
    along += len + RANKSEP;
  }
  along -= RANKSEP;
  const points: number[][] = [];
  for (let e = 0; e < edges.length; e += 2) {
    const a = edges[e], b = edges[e + 1];
    if (tb) {
      const y0 = ys[a] + sizes[2 * a + 1] / 2, y1 = ys[b] - sizes[2 * b + 1] / 2;
      points.push([across / 2, y0, across / 2, (y0 + y1) / 2, across / 2, y1]);
    } else {
      const x0 = xs[a] + sizes[2 * a] / 2, x1 = xs[b] - sizes[2 * b] / 2;
      points.push([x0, across / 2, (x0 + x1) / 2, across / 2, x1, across / 2]);
    }
  }
  return tb ? { width: across, height: along, xs, ys, points } : { width: along, height: across, xs, ys, points };
}

function layoutOne(rankdir: RankDir, sizes: number[], edges: number[]): Cached {
  const count = sizes.length / 2;
  if (count === 1) return { width: sizes[0], height: sizes[1], xs: [sizes[0] / 2], ys: [sizes[1] / 2], points: edges.length ? [[]] : [] };
  const chain = chainOrder(count, edges);
  if (chain) return layoutChain(rankdir, sizes, edges, chain);
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir, nodesep: 18, ranksep: RANKSEP, edgesep: 8, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (let i = 0; i < count; i++) g.setNode(String(i), { width: sizes[2 * i], height: sizes[2 * i + 1] });
  for (let e = 0; e < edges.length; e += 2) g.setEdge(String(edges[e]), String(edges[e + 1]));
  dagre.layout(g);
  const xs: number[] = [];
  const ys: number[] = [];
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < count; i++) {
    const n = g.node(String(i));
    xs.push(n.x);
    ys.push(n.y);
    minX = Math.min(minX, n.x - sizes[2 * i] / 2);
    maxX = Math.max(maxX, n.x + sizes[2 * i] / 2);
    minY = Math.min(minY, n.y - sizes[2 * i + 1] / 2);
    maxY = Math.max(maxY, n.y + sizes[2 * i + 1] / 2);
  }
  const points: number[][] = [];
  for (let e = 0; e < edges.length; e += 2) {
    const pts = g.edge(String(edges[e]), String(edges[e + 1]))?.points ?? [];
    const flat: number[] = [];
    for (const p of pts) flat.push(p.x - minX, p.y - minY);
    points.push(flat);
  }
  for (let i = 0; i < count; i++) {
    xs[i] -= minX;
    ys[i] -= minY;
  }
  return { width: maxX - minX, height: maxY - minY, xs, ys, points };
}
