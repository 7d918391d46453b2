import type { NodeOverlay, Tab, TabContext } from '../shell/tab';
import { GraphView } from './graph-view';
import { saveExportsThroughHost } from './host-save';
import { mountTensorTree } from './tensor-tree';

let view: GraphView | undefined;
let pendingOverlay: NodeOverlay | undefined;
let loaded: Promise<void> | undefined;

/**
 * The Graph tab. The layout worker's URL comes from the host as body[data-layout-worker]; `show(nodeId)` selects
 * and reveals a node. The controller is reachable as `container.miGraph` for tests and the bench.
 */
export const graphTab: Tab = {
  id: 'graph',
  title: 'Graph',
  mount(container: HTMLElement, ctx: TabContext) {
    if (ctx.summary.nodeCount === 0 && ctx.summary.weightCount > 0) {
      loaded = mountTensorTree(container, ctx);
      return;
    }
    view = new GraphView(container, ctx, document.body.dataset.layoutWorker);
    (container as HTMLElement & { miGraph?: GraphView }).miGraph = view;
    if (pendingOverlay) view.setOverlay(pendingOverlay);
    view.dom.buttons.prev.addEventListener('click', () => void view?.nextHit(-1));
    view.dom.buttons.next.addEventListener('click', () => void view?.nextHit(1));
    saveExportsThroughHost(view.dom.root, view.dom.status, ctx.rpc);
    loaded = view.open();
  },
  show(arg?: unknown) {
    if (!view) return;
    view.requestDraw();
    if (typeof arg === 'string') void loaded?.then(() => view?.focusNode(arg));
  },
  setOverlay(overlay: NodeOverlay | undefined) {
    pendingOverlay = overlay;
    view?.setOverlay(overlay);
  },
};
