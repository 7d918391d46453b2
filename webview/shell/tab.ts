import type { RpcEndpoint } from '../../src/protocol/rpc';
import type { HostEvents, HostMethods, WebviewEvents, WebviewMethods } from '../../src/protocol/webview';
import type { ModelSummary } from '../../src/protocol/summary';

export type TabId = 'overview' | 'graph' | 'weights' | 'run' | 'explain' | 'attention' | 'compare';

/** The webview's end of the host channel. */
export type HostRpc = RpcEndpoint<WebviewMethods, HostMethods, HostEvents, WebviewEvents>;

/** Per-node numbers any feature can paint on the graph (weight stats, latency, activations, saliency). */
export interface NodeOverlay {
  /** Legend title, e.g. "weight std" or "latency (ms)". */
  title: string;
  /** node id -> value */
  values: Record<string, number>;
  /** 'sequential' for magnitudes, 'diverging' for signed values around 0. */
  scale: 'sequential' | 'diverging';
  unit?: string;
  /** Set when the values are categories (Compare's added/changed/unchanged), drawn as distinct colours, not a ramp. */
  categories?: { value: number; label: string }[];
}

export interface TabContext {
  readonly rpc: HostRpc;
  readonly summary: ModelSummary;
  readonly trusted: boolean;
  /** Switch to a tab and pass it an argument (e.g. a node id to select, a tensor name to show). */
  navigate(tab: TabId, arg?: unknown): void;
  /** Shows an overlay on the Graph tab (undefined clears it). */
  setOverlay(overlay: NodeOverlay | undefined): void;
  /** Tells the host (and the side panel) that a node is selected; `graph` names the subgraph it is in. */
  selectNode(nodeId: string, graph?: string): void;
}

/** A tab is mounted lazily on first show; `show` is called every time it becomes visible. */
export interface Tab {
  readonly id: TabId;
  readonly title: string;
  mount(container: HTMLElement, ctx: TabContext): void;
  show?(arg?: unknown): void;
  /** Only the graph tab implements this. */
  setOverlay?(overlay: NodeOverlay | undefined): void;
}
