import type { GraphId, GraphPayload } from '../../src/protocol/graph';
import type { NodeOverlay, TabContext } from '../shell/tab';
import { sceneToPng, sceneToSvg } from './export';
import { LayoutClient } from './layout-client';
import type { RankDir } from './layout-core';
import { FRAME } from './layout-core';
import { Minimap } from './minimap';
import { fillViewportHeight } from './fill-height';
import type { OverlayScale, View } from './renderer';
import { draw, edgeLabel, overlayScale } from './renderer';
import type { NodeBox } from './node-box';
import { nodeBox } from './node-box';
import type { Scene } from './scene';
import { buildScene, layoutInput } from './scene';
import { searchNodes } from './search';
import { renderGroupDetails, renderNodeDetails } from './sidebar';
import type { Theme } from './theme';
import { readTheme } from './theme';
import type { FoldOptions } from './view-model';
import { GraphViewModel } from './view-model';
import { nodeCount } from './renderer';
import { buildDom } from './dom';
import { wireGraphInput } from './graph-input';
import { renderLegend } from './legend';
import { appendAttentionLink, groupHasSoftmax } from '../attention/graph-hook';
import type { GraphDom } from './dom';

/** At most this many edge values without a declared shape are run for, when the graph opens. */
const AUTO_SHAPE_VALUES = 2048;

/** Timings of the last load/layout, for the bench and tests (read through the container's `miGraph`). */
export interface GraphTimings {
  fetchMs: number;
  firstPaintMs: number;
  lastLayoutMs: number;
  boxes: number;
  layoutMode: string;
  /** Where the last relayout went: visible set and sizes, the worker's layout, the scene. */
  phases?: { inputMs: number; workerMs: number; layoutMs: number; sceneMs: number; minimapMs?: number };
}

/** The graph tab's controller: fetches the payload, drives layout and drawing, and wires the UI. */
export class GraphView {
  readonly dom: GraphDom;
  vm: GraphViewModel | undefined;
  scene: Scene | undefined;
  view: View = { k: 1, tx: 0, ty: 0 };
  rankdir: RankDir = 'TB';
  selected = -1;
  hits: number[] = [];
  hitIndex = -1;
  timings: GraphTimings = { fetchMs: 0, firstPaintMs: 0, lastLayoutMs: 0, boxes: 0, layoutMode: '' };
  private theme: Theme;
  private overlay: NodeOverlay | undefined;
  private overlayScale: OverlayScale | undefined;
  private readonly layout: LayoutClient;
  private readonly minimap: Minimap;
  private frame = 0;
  private graphStack: { id: GraphId; title: string }[] = [];
  private detailsSeq = 0;
  /** The query of the last search, so Enter in the box steps through hits instead of searching again. */
  lastQuery = '';
  /** What folds away; `openShapes` (badges opened in place) belongs to the graph shown and resets with it. */
  fold: FoldOptions = { showConstants: false, showShapeOps: false, openShapes: new Set() };
  /** Where edge shapes come from, for the legend: "shapes from a run with batch=1, seq=16", or why there are none. */
  shapeNote = '';
  /** Resolves when the sample run's shapes are in (or failed): tests wait on it. */
  shapesReady: Promise<void> = Promise.resolve();

  constructor(container: HTMLElement, private readonly ctx: TabContext, workerUrl: string | undefined) {
    this.dom = buildDom(container);
    this.theme = readTheme(container);
    this.layout = new LayoutClient(workerUrl);
    this.minimap = new Minimap(this.dom.minimap, (wx, wy) => this.centerOn(wx, wy));
    wireGraphInput(this);
    // Re-read colours when VS Code switches theme (it rewrites the body's class and style).
    new MutationObserver(() => { this.theme = readTheme(container); this.refreshMinimap(); this.requestDraw(); })
      .observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
    new ResizeObserver(() => this.requestDraw()).observe(this.dom.stage);
    fillViewportHeight(this.dom.root);
  }

  /** Loads a graph (main graph or a control-flow body) and draws its readable top level. */
  async open(id: GraphId = '', title?: string): Promise<void> {
    const t0 = performance.now();
    this.dom.status.textContent = 'Loading graph…';
    let payload: GraphPayload;
    try {
      payload = await this.ctx.rpc.call('getGraph', id ? { graph: id } : {});
    } catch (e) {
      this.dom.status.textContent = `Could not load the graph: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    this.timings.fetchMs = performance.now() - t0;
    this.load(payload, title, t0);
  }

  /** Shows an already fetched payload; `t0` is when the graph request started (first-paint timing). */
  load(payload: GraphPayload, title?: string, t0 = performance.now()): Promise<void> {
    const existing = this.graphStack.findIndex((g) => g.id === payload.graph);
    if (existing >= 0) this.graphStack.length = existing;
    this.graphStack.push({ id: payload.graph, title: title ?? payload.path[payload.path.length - 1] ?? 'graph' });
    this.fold = { ...this.fold, openShapes: new Set() };
    this.dom.buttons.constants.setAttribute('aria-pressed', String(this.fold.showConstants));
    this.dom.buttons.shapeOps.setAttribute('aria-pressed', String(this.fold.showShapeOps));
    this.vm = new GraphViewModel(payload, this.fold);
    this.shapeNote = '';
    this.shapesReady = this.fetchShapes(this.vm);
    this.scene = undefined; // the old scene's items index the old graph: never draw it with the new one
    this.layout.cancel();
    this.vm.expandToBudget();
    this.selected = -1;
    this.hits = [];
    this.hitIndex = -1;
    this.overlayScale = this.overlay ? overlayScale(this.vm, this.overlay) : undefined;
    this.renderCrumbs();
    this.renderLegend();
    this.dom.side.hidden = true;
    return this.relayout('readable').then(() => {
      this.timings.firstPaintMs = performance.now() - t0;
    });
  }

  /** Lays out what is visible now (per group, cached, in the worker) and redraws; `fit` recentres. */
  async relayout(fit: boolean | 'readable' = false, focusItem = -1): Promise<void> {
    const vm = this.vm;
    if (!vm) return;
    const t0 = performance.now();
    const vis = vm.visible();
    const input = layoutInput(vm, vis);
    const t1 = performance.now();
    const layouts = await this.layout.layout({ rankdir: this.rankdir, groups: input });
    if (!layouts || vm !== this.vm) return; // superseded by a newer request
    const t2 = performance.now();
    // Keep the clicked item where it was on screen, so expanding does not throw the reader elsewhere.
    const anchor = focusItem >= 0 && this.scene ? this.screenCenterOf(focusItem) : undefined;
    this.scene = buildScene(vm, vis, layouts, this.rankdir);
    const t3 = performance.now();
    this.timings.phases = { inputMs: Math.round(t1 - t0), workerMs: Math.round(t2 - t1), layoutMs: Math.round(this.layout.lastJobMs), sceneMs: Math.round(t3 - t2) };
    this.timings.lastLayoutMs = performance.now() - t0;
    this.timings.boxes = this.scene.count;
    this.timings.layoutMode = this.layout.mode;
    if (fit) this.fit(fit === 'readable');
    else if (anchor) {
      const b = this.scene.boxOf[focusItem];
      if (b >= 0) {
        this.view.tx = anchor[0] - (this.scene.x[b] + this.scene.w[b] / 2) * this.view.k;
        this.view.ty = anchor[1] - (this.scene.y[b] + Math.min(this.scene.h[b] / 2, FRAME.top / 2)) * this.view.k;
      }
    }
    const t4 = performance.now();
    this.refreshMinimap();
    this.timings.phases.minimapMs = Math.round(performance.now() - t4);
    this.dom.status.textContent = `${nodeCount(vm.opCount)} · ${this.scene.count} shown`;
    this.drawNow();
    this.dom.root.dispatchEvent(new CustomEvent('graph-rendered', { detail: { boxes: this.scene.count }, bubbles: true }));
  }

  setOverlay(overlay: NodeOverlay | undefined): void {
    this.overlay = overlay;
    this.overlayScale = overlay && this.vm ? overlayScale(this.vm, overlay) : undefined;
    this.renderLegend();
    this.refreshMinimap();
    this.requestDraw();
  }

  // ---- folding and shapes ------------------------------------------------------------------------------------

  /** Changes what folds away and redraws, keeping which groups are open and what is selected. */
  setFold(change: Partial<FoldOptions>): Promise<void> {
    const old = this.vm;
    this.fold = { ...this.fold, ...change };
    this.dom.buttons.constants.setAttribute('aria-pressed', String(this.fold.showConstants));
    this.dom.buttons.shapeOps.setAttribute('aria-pressed', String(this.fold.showShapeOps));
    if (!old) return Promise.resolve();
    const vm = new GraphViewModel(old.payload, this.fold);
    vm.expanded.set(old.expanded);
    this.vm = vm;
    if (this.selected >= 0 && this.selected < vm.n && vm.hidden[this.selected]) this.selected = vm.drawnFor(this.selected);
    this.overlayScale = this.overlay ? overlayScale(vm, this.overlay) : undefined;
    this.renderLegend();
    return this.relayout(false, this.selected >= 0 ? this.selected : -1);
  }

  /** Opens (or closes) a node's shape badge in place: its shape plumbing is drawn as boxes. */
  toggleShapeOps(node: number): Promise<void> {
    const open = new Set(this.fold.openShapes);
    if (!open.delete(node)) open.add(node);
    return this.setFold({ openShapes: open });
  }

  /**
   * Edge shapes the file does not declare come from one sample run (main graph only: bodies' values are not outputs
   * a runtime can return); Restricted Mode runs nothing and says so.
   */
  private async fetchShapes(vm: GraphViewModel): Promise<void> {
    const p = vm.payload;
    const concrete = (v: (typeof p.values)[number]) => !!v.shape && v.shape.every((d) => typeof d === 'number');
    if (p.edges.every(([, , v]) => concrete(p.values[v]))) {
      this.shapeNote = 'shapes from the file';
      return;
    }
    if (p.graph) return;
    const unknown = new Set(p.edges.filter(([, , v]) => !concrete(p.values[v])).map(([, , v]) => v)).size;
    // Each batch of 64 values is a session of the whole model: past this, a run costs more than the graph is worth.
    if (unknown > AUTO_SHAPE_VALUES) {
      this.shapeNote = `${unknown} edges without a declared shape (too many to run the model for)`;
      return;
    }
    if (!this.ctx.trusted) {
      this.shapeNote = 'some shapes unknown: trust the workspace to run the model for them';
      return;
    }
    try {
      const r = await this.ctx.rpc.call('getGraphShapes', {});
      const byName = new Map(p.values.map((v, i) => [v.name, i]));
      for (const [name, [dtype, shape]] of Object.entries(r.shapes)) {
        const i = byName.get(name);
        if (i === undefined || concrete(p.values[i])) continue;
        p.values[i].shape = shape;
        p.values[i].dtype ??= dtype as (typeof p.values)[number]['dtype'];
      }
      const dims = Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(', ');
      this.shapeNote = `shapes from a run${dims ? ` with ${dims}` : ''}`;
    } catch (e) {
      this.shapeNote = `some shapes unknown (the sample run failed: ${e instanceof Error ? e.message : String(e)})`;
    }
    if (vm !== this.vm && vm.payload !== this.vm?.payload) return;
    this.renderLegend();
    this.requestDraw();
  }

  private renderLegend(): void {
    const notes: string[] = [];
    const vm = this.vm;
    if (vm && (vm.foldedConstants || vm.foldedShapeOps)) {
      const parts = [];
      if (vm.foldedConstants) parts.push(`${vm.foldedConstants} constant${vm.foldedConstants === 1 ? '' : 's'}`);
      if (vm.foldedShapeOps) parts.push(`${vm.foldedShapeOps} shape op${vm.foldedShapeOps === 1 ? '' : 's'}`);
      notes.push(`${parts.join(' and ')} folded into rows and badges`);
    }
    if (this.shapeNote) notes.push(this.shapeNote);
    renderLegend(this.dom.legend, this.overlayScale, vm, this.theme, notes);
  }

  // ---- expansion ---------------------------------------------------------------------------------------------

  toggleGroup(scope: number): Promise<void> {
    if (!this.vm || scope === 0) return Promise.resolve();
    this.vm.expanded[scope] ^= 1;
    return this.relayout(false, this.vm.n + scope);
  }
  expandAll(): Promise<void> {
    this.vm?.expandAll();
    return this.relayout(true);
  }
  collapseAll(): Promise<void> {
    this.vm?.collapseAll();
    return this.relayout(true);
  }
  setDirection(dir: RankDir): Promise<void> {
    this.rankdir = dir;
    this.dom.dirButton.textContent = dir === 'TB' ? 'Top→down' : 'Left→right';
    return this.relayout(true);
  }

  // ---- selection, search -------------------------------------------------------------------------------------

  async select(item: number): Promise<void> {
    const vm = this.vm;
    this.selected = item;
    this.requestDraw();
    if (!vm || item < 0) {
      this.dom.side.hidden = true;
      return;
    }
    this.dom.side.hidden = false;
    if (vm.isGroup(item)) {
      renderGroupDetails(this.dom.side, vm, vm.scopeOf(item));
      if (!vm.payload.graph && groupHasSoftmax(vm, vm.scopeOf(item))) appendAttentionLink(this.dom.side, { scope: vm.payload.scopes[vm.scopeOf(item)] }, (a) => this.ctx.navigate('attention', a));
      return;
    }
    const node = vm.payload.nodes[item];
    if (node.kind !== 'op') {
      const v = vm.payload.values[node.io[0]];
      renderGroupDetailsForValue(this.dom.side, node.kind, v.name, v.dtype, v.shape);
      return;
    }
    this.ctx.selectNode(node.id, vm.payload.graph || undefined);
    const seq = ++this.detailsSeq;
    this.dom.side.textContent = 'Loading…';
    try {
      const d = await this.ctx.rpc.call('getNodeDetails', vm.payload.graph ? { graph: vm.payload.graph, nodeId: node.id } : { nodeId: node.id });
      if (seq !== this.detailsSeq) return;
      renderNodeDetails(this.dom.side, d, {
        showWeight: (name) => this.ctx.navigate('weights', name),
        openSubgraph: (g) => void this.open(g),
        // Only main-graph values can be exposed as runtime outputs.
        ...(vm.payload.graph ? {} : { showActivation: (v: string) => this.ctx.navigate('run', { activation: v }) }),
      });
      if (d.opType === 'Softmax' && !vm.payload.graph) appendAttentionLink(this.dom.side, { nodeId: node.id }, (a) => this.ctx.navigate('attention', a));
    } catch (e) {
      if (seq === this.detailsSeq) this.dom.side.textContent = `Could not load details: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Selects a node by id (from another tab or the side panel), revealing and centring it. */
  async focusNode(nodeId: string): Promise<boolean> {
    const vm = this.vm;
    const found = vm?.payload.nodes.findIndex((n) => n.id === nodeId) ?? -1;
    const i = vm && found >= 0 ? vm.drawnFor(found) : -1;
    if (!vm || i < 0) return false;
    await this.reveal(i);
    await this.select(i);
    return true;
  }

  search(query: string): void {
    const vm = this.vm;
    if (!vm) return;
    this.lastQuery = query;
    // A folded node is found on the box that shows it (its consumer, or the node its shape plumbing feeds).
    this.hits = [...new Set(searchNodes(vm, query).map((i) => vm.drawnFor(i)).filter((i) => i >= 0))];
    this.hitIndex = -1;
    this.dom.count.textContent = query.trim() ? `${this.hits.length} hits` : '';
    if (this.hits.length) void this.nextHit(1);
    else this.requestDraw();
  }

  async nextHit(step: number): Promise<void> {
    if (!this.hits.length) return;
    this.hitIndex = (this.hitIndex + step + this.hits.length) % this.hits.length;
    this.dom.count.textContent = `${this.hitIndex + 1} / ${this.hits.length}`;
    const node = this.hits[this.hitIndex];
    await this.reveal(node);
    await this.select(node);
  }

  private async reveal(node: number): Promise<void> {
    if (this.vm!.reveal(node)) await this.relayout(false);
    const b = this.scene?.boxOf[node] ?? -1;
    if (b < 0 || !this.scene) return;
    if (this.view.k < 0.6) this.view.k = 1;
    this.centerOn(this.scene.x[b] + this.scene.w[b] / 2, this.scene.y[b] + this.scene.h[b] / 2);
  }

  // ---- view --------------------------------------------------------------------------------------------------

  /**
   * Fits the whole view; `readable` (on open) keeps text legible instead, showing the top of a tall graph.
   * The minimap and legend float over the bottom corners, so the graph is fitted into the larger of the strip
   * above them and the column between them, never under them.
   */
  fit(readable = false): void {
    const s = this.scene;
    if (!s) return;
    const W = this.dom.stage.clientWidth || 800, H = this.dom.stage.clientHeight || 600;
    const pad = 20;
    this.dom.minimap.hidden = false; // measured as shown; drawNow hides it again if everything ends up on screen
    const size = (e: HTMLElement) => (e.hidden || !e.offsetParent ? [0, 0] : [e.offsetWidth + 16, e.offsetHeight + 16]);
    const [mw, mh] = size(this.dom.minimap), [lw, lh] = size(this.dom.legend);
    const regions = [
      { x: 0, y: 0, w: W, h: H - Math.max(mh, lh) }, // above both corners
      { x: lw, y: 0, w: W - lw - mw, h: H }, // between them
      { x: 0, y: 0, w: W, h: H }, // nothing sensible left (tiny stage): the whole stage
    ].filter((r) => r.w > 120 && r.h > 120);
    let best = { x: 0, y: 0, w: W, h: H }, k = 0;
    for (const r of regions) {
      const rk = Math.min(1.5, (r.w - 2 * pad) / Math.max(1, s.width), (r.h - 2 * pad) / Math.max(1, s.height));
      if (rk > k * 1.001) [best, k] = [r, rk];
    }
    this.view.k = readable ? Math.max(k, 0.6) : Math.max(0.005, k);
    this.view.tx = best.x + (best.w - s.width * this.view.k) / 2;
    this.view.ty = best.y + Math.max(24, (best.h - s.height * this.view.k) / 2);
    // Too big to read whole: start where reading starts, at the first graph input. The middle of a wide layout can be
    // empty (a ViT's or ResNet's top level from torch.onnx: a row of weight Identity nodes over the collapsed blocks).
    const start = readable ? this.firstInputBox() : -1;
    if (start >= 0) {
      const k2 = this.view.k;
      const cx = s.x[start] + s.w[start] / 2, cy = s.y[start] + s.h[start] / 2;
      if (s.width * k2 > best.w) this.view.tx = this.rankdir === 'TB' ? best.x + best.w / 2 - cx * k2 : best.x + pad - s.x[start] * k2;
      if (s.height * k2 > best.h) this.view.ty = this.rankdir === 'TB' ? best.y + 24 - s.y[start] * k2 : best.y + best.h / 2 - cy * k2;
    }
    this.requestDraw();
  }
  /** Box of the first graph input that is drawn (the top-most, then left-most, when several are), or -1. */
  private firstInputBox(): number {
    const s = this.scene, vm = this.vm;
    if (!s || !vm) return -1;
    let best = -1;
    for (let i = 0; i < s.count; i++) {
      const item = s.item[i];
      if (item >= vm.n || vm.payload.nodes[item].kind !== 'input') continue;
      if (best < 0 || s.y[i] < s.y[best] || (s.y[i] === s.y[best] && s.x[i] < s.x[best])) best = i;
    }
    return best;
  }
  zoom(factor: number, sx?: number, sy?: number): void {
    const W = this.dom.stage.clientWidth, H = this.dom.stage.clientHeight;
    const cx = sx ?? W / 2, cy = sy ?? H / 2;
    const k = Math.min(8, Math.max(0.01, this.view.k * factor));
    this.view.tx = cx - ((cx - this.view.tx) * k) / this.view.k;
    this.view.ty = cy - ((cy - this.view.ty) * k) / this.view.k;
    this.view.k = k;
    this.requestDraw();
  }
  centerOn(wx: number, wy: number): void {
    this.view.tx = this.dom.stage.clientWidth / 2 - wx * this.view.k;
    this.view.ty = this.dom.stage.clientHeight / 2 - wy * this.view.k;
    this.requestDraw();
  }
  /** Screen rectangle (CSS px, relative to the canvas) of a drawn item, for tests and automation. */
  screenBox(item: number): { x: number; y: number; w: number; h: number } | undefined {
    const s = this.scene;
    const b = s?.boxOf[item] ?? -1;
    if (!s || b < 0) return undefined;
    const { k, tx, ty } = this.view;
    return { x: s.x[b] * k + tx, y: s.y[b] * k + ty, w: s.w[b] * k, h: s.h[b] * k };
  }
  /** An edge's label as drawn ('' when it has none), for tests and automation. */
  edgeText(edge: number): string {
    return this.vm ? edgeLabel(this.vm, edge) : '';
  }
  /** What a node's box says (title, sub line, rows, shape badge), for tests and automation. */
  boxText(node: number): NodeBox | undefined {
    return this.vm ? nodeBox(this.vm, node) : undefined;
  }
  private screenCenterOf(item: number): [number, number] | undefined {
    const r = this.screenBox(item);
    return r && [r.x + r.w / 2, r.y + Math.min(r.h / 2, (FRAME.top / 2) * this.view.k)];
  }

  requestDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drawNow();
    });
  }

  drawNow(): number {
    const c = this.dom.canvas;
    const dpr = window.devicePixelRatio || 1;
    const W = this.dom.stage.clientWidth, H = this.dom.stage.clientHeight;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
    }
    if (!this.vm || !this.scene) return 0;
    const g = c.getContext('2d')!;
    const v = { k: this.view.k * dpr, tx: this.view.tx * dpr, ty: this.view.ty * dpr };
    const drawn = draw(g, c.width, c.height, this.vm, this.scene, v, this.theme, {
      selected: this.selected,
      hits: new Set(this.hits),
      currentHit: this.hits[this.hitIndex] ?? -1,
      overlay: this.overlayScale,
    });
    // Nothing to navigate when the whole graph is on screen: then the minimap would only cover its last nodes.
    const s = this.scene, k = this.view.k;
    const whole = this.view.tx >= -1 && this.view.ty >= -1 && this.view.tx + s.width * k <= W + 1 && this.view.ty + s.height * k <= H + 1;
    if (this.dom.minimap.hidden !== whole) this.dom.minimap.hidden = whole;
    if (!whole) this.minimap.paint(this.view, W, H, this.theme);
    return drawn;
  }

  exportSvg(): string | undefined {
    return this.vm && this.scene ? sceneToSvg(this.vm, this.scene, this.theme, this.overlayScale) : undefined;
  }
  exportPng(): Promise<Blob> | undefined {
    return this.vm && this.scene ? sceneToPng(this.vm, this.scene, this.theme, this.overlayScale) : undefined;
  }

  /** Goes back to the enclosing graph of a control-flow body; false at the main graph. */
  back(): boolean {
    if (this.graphStack.length < 2) return false;
    const g = this.graphStack[this.graphStack.length - 2];
    void this.open(g.id, g.title);
    return true;
  }

  dispose(): void {
    this.layout.dispose();
  }

  private refreshMinimap(): void {
    if (this.vm && this.scene) this.minimap.update(this.vm, this.scene, this.theme);
  }

  private renderCrumbs(): void {
    const c = this.dom.crumbs;
    c.replaceChildren();
    this.graphStack.forEach((g, i) => {
      if (i) c.append(' › ');
      if (i === this.graphStack.length - 1) c.append(g.title);
      else {
        const a = document.createElement('a');
        a.textContent = g.title;
        a.addEventListener('click', () => void this.open(g.id, g.title));
        c.append(a);
      }
    });
  }

  /** Downloads an export; the shell may intercept the `graph-export` event to save through the host instead. */
  async save(kind: 'svg' | 'png'): Promise<void> {
    const data = kind === 'svg' ? this.exportSvg() : await this.exportPng();
    if (!data) return;
    const blob = typeof data === 'string' ? new Blob([data], { type: 'image/svg+xml' }) : data;
    const name = `${this.ctx.summary.file.replace(/\.[^.]+$/, '')}-graph.${kind}`;
    const ev = new CustomEvent('graph-export', { detail: { kind, name, blob }, cancelable: true });
    if (!this.dom.root.dispatchEvent(ev)) return;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
}

function renderGroupDetailsForValue(host: HTMLElement, kind: string, name: string, dtype: string | undefined, shape: (string | number)[] | null | undefined): void {
  host.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = kind === 'input' ? 'Graph input' : 'Graph output';
  const p = document.createElement('p');
  p.textContent = `${name}: ${dtype ?? '?'} ${shape ? `[${shape.join(', ')}]` : '[?]'}`;
  host.append(h, p);
}
