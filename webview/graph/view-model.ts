import type { GraphPayload } from '../../src/protocol/graph';

/**
 * The graph as a tree of scope groups with an expansion state. Items are numbered: node i is item i, scope s is item
 * N + s. `visible()` answers what is drawn at the current state: per expanded group, its direct children and the
 * edges between them (an edge whose ends sit inside collapsed groups attaches to those groups).
 */
export interface GroupLayoutRequest {
  /** Scope index of the expanded group. */
  scope: number;
  /** Direct children as items. */
  items: number[];
  /** Edges between children: pairs of indices into `items`, deduplicated. */
  edges: [number, number][];
  /** For each edge in `edges`, a representative payload edge index (for labels). */
  edgeRef: number[];
}

export interface VisibleState {
  /** Expanded groups in post-order (children before parents); the root (scope 0) is last. */
  groups: GroupLayoutRequest[];
  /** Cross-group edges: [from item, to item, payload edge index]; drawn as curves between absolute boxes. */
  crossEdges: [number, number, number][];
  /** Item that stands for each payload node (itself, or its outermost collapsed ancestor group). */
  rep: Int32Array;
}

/** What folds away: constants and weight Identities into rows, shape plumbing into badges (except opened ones). */
export interface FoldOptions {
  showConstants: boolean;
  showShapeOps: boolean;
  /** Nodes whose shape badge is opened in place: their plumbing is drawn. */
  openShapes: ReadonlySet<number>;
}

export const DEFAULT_FOLD: FoldOptions = { showConstants: false, showShapeOps: false, openShapes: new Set() };

export class GraphViewModel {
  readonly n: number;
  /** 1 for nodes folded away under the current options (not drawn, their edges neither). */
  readonly hidden: Uint8Array;
  /** The scope each node is drawn in: its own, or the nearest ancestor holding more than this one node. */
  readonly nodeScope: Int32Array;
  /** Counts for the legend: folded constant nodes and shape-plumbing ops not drawn. */
  readonly foldedConstants: number;
  readonly foldedShapeOps: number;
  /** Op nodes in the graph, drawn or folded. */
  readonly opCount: number;
  readonly scopeParent: Int32Array;
  readonly scopeDepth: Int32Array;
  readonly childScopes: number[][];
  readonly childNodes: number[][];
  /** Op nodes under each scope, recursively. */
  readonly scopeSize: Int32Array;
  readonly expanded: Uint8Array;

  constructor(readonly payload: GraphPayload, readonly fold: FoldOptions = DEFAULT_FOLD) {
    const S = payload.scopes.length;
    const N = (this.n = payload.nodes.length);
    this.scopeParent = new Int32Array(S).fill(-1);
    this.scopeDepth = new Int32Array(S);
    this.childScopes = Array.from({ length: S }, () => []);
    this.childNodes = Array.from({ length: S }, () => []);
    this.scopeSize = new Int32Array(S);
    this.expanded = new Uint8Array(S);
    this.expanded[0] = 1;
    this.hidden = new Uint8Array(N);
    this.nodeScope = new Int32Array(N);
    let constants = 0, shapeOps = 0;
    payload.nodes.forEach((node, i) => {
      const plumbHidden = node.plumb !== undefined && !fold.showShapeOps && !fold.openShapes.has(node.plumb);
      if (node.fold && !fold.showConstants) { this.hidden[i] = 1; constants++; }
      else if (plumbHidden) { this.hidden[i] = 1; shapeOps++; }
    });
    this.opCount = payload.nodes.reduce((a, node) => a + (node.kind === 'op' ? 1 : 0), 0);
    this.foldedConstants = constants;
    this.foldedShapeOps = shapeOps;
    const index = new Map(payload.scopes.map((s, i) => [s, i]));
    for (let s = 1; s < S; s++) {
      const name = payload.scopes[s];
      const cut = name.lastIndexOf('/');
      this.scopeParent[s] = cut > 0 ? index.get(name.slice(0, cut)) ?? 0 : 0;
    }
    // Scopes are interned parent-first, so depth can be filled in index order.
    for (let s = 1; s < S; s++) this.scopeDepth[s] = this.scopeDepth[this.scopeParent[s]] + 1;
    for (let i = 0; i < N; i++) {
      const node = payload.nodes[i];
      if (this.hidden[i] || node.kind !== 'op') continue;
      for (let s = node.scope; s >= 0; s = this.scopeParent[s]) this.scopeSize[s]++;
    }
    // A group of one node draws as that node, and a group of none is not drawn.
    for (let s = 1; s < S; s++) if (this.scopeSize[s] > 1) this.childScopes[this.scopeParent[s]].push(s);
    for (let i = 0; i < N; i++) {
      if (this.hidden[i]) continue;
      let s = payload.nodes[i].scope;
      while (s > 0 && this.scopeSize[s] <= 1) s = this.scopeParent[s];
      this.nodeScope[i] = s;
      this.childNodes[s].push(i);
    }
  }

  private drawnForMap: Int32Array | undefined;
  /** The node that shows a node: itself, or for a folded one the box it is a row or badge on (-1 when none). */
  drawnFor(i: number): number {
    if (!this.hidden[i]) return i;
    if (!this.drawnForMap) {
      const m = (this.drawnForMap = new Int32Array(this.n).fill(-1));
      this.payload.nodes.forEach((node, c) => {
        if (this.hidden[c]) return;
        for (const r of node.rows ?? []) if (r.node !== undefined && m[r.node] < 0) m[r.node] = c;
      });
      this.payload.nodes.forEach((node, k) => {
        if (m[k] < 0 && node.plumb !== undefined && !this.hidden[node.plumb]) m[k] = node.plumb;
      });
    }
    return this.drawnForMap[i];
  }

  isGroup(item: number): boolean {
    return item >= this.n;
  }
  scopeOf(item: number): number {
    return item - this.n;
  }
  /** The group directly containing an item. */
  parentScope(item: number): number {
    return item >= this.n ? this.scopeParent[item - this.n] : this.nodeScope[item];
  }
  groupLabel(scope: number): string {
    const name = this.payload.scopes[scope];
    return name.slice(name.lastIndexOf('/') + 1) || 'graph';
  }

  /**
   * Opens groups level by level while the number of drawn items stays readable. A level opens whole or not at all,
   * so sibling blocks (layer.0 … layer.N) always look alike.
   */
  expandToBudget(budget = 80): void {
    this.collapseAll();
    let visibleCount = this.childNodes[0].length + this.childScopes[0].length;
    let frontier = [0];
    while (frontier.length) {
      const candidates = frontier.flatMap((s) => this.childScopes[s]);
      const add = candidates.reduce((a, c) => a + this.childNodes[c].length + this.childScopes[c].length - 1, 0);
      if (!candidates.length || visibleCount + add > budget) break;
      for (const c of candidates) this.expanded[c] = 1;
      visibleCount += add;
      frontier = candidates;
    }
  }

  expandAll(): void {
    this.expanded.fill(1);
  }
  collapseAll(): void {
    this.expanded.fill(0);
    this.expanded[0] = 1;
  }
  /** Expands every ancestor so a node becomes visible; returns true when anything changed. */
  reveal(node: number): boolean {
    let changed = false;
    for (let s = this.nodeScope[node]; s > 0; s = this.scopeParent[s]) {
      if (!this.expanded[s]) changed = true;
      this.expanded[s] = 1;
    }
    return changed;
  }

  visible(): VisibleState {
    const n = this.n;
    const S = this.payload.scopes.length;
    // Outermost collapsed ancestor per scope (or -1 when every ancestor including itself is expanded).
    const collapsedAt = new Int32Array(S).fill(-1);
    for (let s = 1; s < S; s++) {
      const p = collapsedAt[this.scopeParent[s]];
      collapsedAt[s] = p >= 0 ? p : this.expanded[s] ? -1 : s;
    }
    const rep = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (this.hidden[i]) { rep[i] = -1; continue; }
      const c = collapsedAt[this.nodeScope[i]];
      rep[i] = c >= 0 ? n + c : i;
    }
    const requests = new Map<number, GroupLayoutRequest & { local: Map<number, number>; seen: Set<number> }>();
    const order: number[] = [];
    const visit = (s: number): void => {
      for (const c of this.childScopes[s]) if (this.expanded[c]) visit(c);
      order.push(s);
      const items = [...this.childNodes[s], ...this.childScopes[s].map((c) => n + c)];
      requests.set(s, { scope: s, items, edges: [], edgeRef: [], local: new Map(items.map((it, k) => [it, k])), seen: new Set() });
    };
    visit(0);
    const crossEdges: [number, number, number][] = [];
    const crossSeen = new Set<number>();
    const edges = this.payload.edges;
    for (let e = 0; e < edges.length; e++) {
      const a = rep[edges[e][0]];
      const b = rep[edges[e][1]];
      if (a === b || a < 0 || b < 0) continue;
      const pa = this.parentScope(a);
      const pb = this.parentScope(b);
      if (pa === pb) {
        const r = requests.get(pa)!;
        const la = r.local.get(a)!;
        const lb = r.local.get(b)!;
        const key = la * 1_000_003 + lb;
        if (r.seen.has(key)) continue;
        r.seen.add(key);
        r.edges.push([la, lb]);
        r.edgeRef.push(e);
        continue;
      }
      const key = a * (n + S) + b;
      if (!crossSeen.has(key)) {
        crossSeen.add(key);
        crossEdges.push([a, b, e]);
      }
      // Also tell the lowest common group which of its children are connected, so dagre orders them sensibly.
      let ca = a;
      let cb = b;
      let sa = pa;
      let sb = pb;
      while (sa !== sb) {
        if (this.scopeDepth[sa] >= this.scopeDepth[sb]) {
          ca = n + sa;
          sa = this.scopeParent[sa];
        } else {
          cb = n + sb;
          sb = this.scopeParent[sb];
        }
      }
      const r = requests.get(sa)!;
      const la = r.local.get(ca)!;
      const lb = r.local.get(cb)!;
      if (la === lb) continue;
      const lkey = la * 1_000_003 + lb;
      if (r.seen.has(lkey)) continue;
      r.seen.add(lkey);
      r.edges.push([la, lb]);
      r.edgeRef.push(-1 - e); // negative: ordering hint only, the drawn edge is the cross edge
    }
    return { groups: order.map((s) => { const r = requests.get(s)!; return { scope: r.scope, items: r.items, edges: r.edges, edgeRef: r.edgeRef }; }), crossEdges, rep };
  }
}
