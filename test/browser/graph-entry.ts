// Browser entry for the graph tests and bench: mounts the real graph tab with a scripted host. The host side is an
// RpcEndpoint across a real MessageChannel (structured clone, like postMessage in VS Code) answering from payloads
// the Node side built with src/engine/graph-payload.ts and injected as JSON text.
import { RpcEndpoint } from '../../src/protocol/rpc';
import type { Transport } from '../../src/protocol/rpc';
import type { GraphMethods, GraphNodeDetails, GraphPayload, GraphShapesResult } from '../../src/protocol/graph';
import type { ModelSummary } from '../../src/protocol/summary';
import type { HostRpc, TabContext, TabId } from '../../webview/shell/tab';
import { graphTab } from '../../webview/graph/tab';

interface HarnessWindow {
  __graphJson: Record<string, string>;
  __details: Record<string, GraphNodeDetails>;
  __shapes: GraphShapesResult | null;
  /** Fold toggles to mount with (the bench's "all shown" pass). */
  __fold?: { showConstants: boolean; showShapeOps: boolean };
  __log: { navigate: [TabId, unknown][]; selected: string[] };
  __start(): number;
  __tab: typeof graphTab;
}
const w = window as unknown as Window & HarnessWindow;
w.__log = { navigate: [], selected: [] };
w.__tab = graphTab;

function portTransport(port: MessagePort): Transport {
  return {
    send: (m) => port.postMessage(m),
    listen(h) {
      port.onmessage = (e) => h(e.data);
      return () => (port.onmessage = null);
    },
  };
}

const channel = new MessageChannel();
// The scripted host: answers only what the graph tab asks.
new RpcEndpoint<Record<string, never>, GraphMethods>(portTransport(channel.port1), {
  getGraph: (p: { graph?: string }) => {
    const text = w.__graphJson[p.graph ?? ''];
    if (!text) throw new Error(`no graph ${p.graph}`);
    return JSON.parse(text) as GraphPayload;
  },
  getGraphShapes: () => {
    if (!w.__shapes) throw new Error('this host runs nothing');
    return w.__shapes;
  },
  getNodeDetails: (p: { graph?: string; nodeId: string }) => {
    const d = w.__details[`${p.graph ?? ''}|${p.nodeId}`];
    if (!d) throw new Error(`no details for ${p.nodeId}`);
    return d;
  },
});
const rpc = new RpcEndpoint(portTransport(channel.port2), {}) as unknown as HostRpc;

w.__start = () => {
  const container = document.getElementById('root')!;
  const ctx: TabContext = {
    rpc,
    summary: { file: 'model.onnx' } as ModelSummary,
    trusted: true,
    navigate: (tab, arg) => w.__log.navigate.push([tab, arg]),
    setOverlay: (o) => graphTab.setOverlay?.(o),
    selectNode: (id) => w.__log.selected.push(id),
  };
  const t0 = performance.now();
  graphTab.mount(container, ctx);
  // Before the payload arrives (mount only starts the request), so the first layout already uses them.
  const view = (container as HTMLElement & { miGraph?: { fold: object } }).miGraph;
  if (w.__fold && view) view.fold = { ...view.fold, ...w.__fold };
  graphTab.show?.();
  return t0;
};
