// Graph tab in the real webview: the layout must run in the worker (blob: worker inlined by scripts/build.mjs, since
// VS Code serves webview resources cross-origin), the canvas must draw boxes, and both themes get a screenshot.
import { ok } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ConsoleLog, eventually, shot } from '../driver/harness';
import type { Theme, Workbench } from '../driver/workbench';

export interface GraphState {
  boxes: number;
  layoutMode: string;
  firstPaintMs: number;
  lastLayoutMs: number;
  status: string;
  /** Share of canvas pixels that differ from its top-left (background) pixel: proof that something was drawn. */
  inkShare: number;
  graph: string;
}

/** What the Graph tab's controller (exposed as `miGraph` on its container) reports, plus a look at the canvas. */
export async function graphState(wb: Workbench): Promise<GraphState> {
  return wb.webview().locator('[data-tab-body="graph"]').evaluate((el) => {
    interface View { timings: { boxes: number; layoutMode: string; firstPaintMs: number; lastLayoutMs: number }; vm?: { payload: { graph: string } } }
    const g = (el as HTMLElement & { miGraph?: View }).miGraph;
    const canvas = el.querySelector<HTMLCanvasElement>('canvas.view');
    let inkShare = 0;
    const c2d = canvas && canvas.width > 0 && canvas.height > 0 ? canvas.getContext('2d') : null;
    if (canvas && c2d) {
      const px = c2d.getImageData(0, 0, canvas.width, canvas.height).data;
      let differ = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] !== px[0] || px[i + 1] !== px[1] || px[i + 2] !== px[2]) differ++;
      inkShare = differ / (px.length / 4);
    }
    const status = el.querySelector('.status')?.textContent ?? '';
    return {
      boxes: g?.timings.boxes ?? 0, layoutMode: g?.timings.layoutMode ?? '', firstPaintMs: g?.timings.firstPaintMs ?? 0,
      lastLayoutMs: g?.timings.lastLayoutMs ?? 0, status, inkShare, graph: g?.vm?.payload.graph ?? '',
    };
  });
}

/** Waits until the graph (optionally a given subgraph id) is laid out and drawn. */
async function waitDrawn(wb: Workbench, graph: string | undefined, ms: number): Promise<GraphState> {
  let last: GraphState | undefined;
  const drawn = await eventually(async () => {
    last = await graphState(wb);
    return last.boxes > 0 && last.firstPaintMs > 0 && last.inkShare > 0.005 && (graph === undefined || last.graph === graph);
  }, ms);
  ok(drawn, `the graph was not drawn: ${JSON.stringify(last)}`);
  return last!;
}

/**
 * Opens `model` (already in the workspace), switches to Graph, checks it drew with the worker, optionally descends
 * into the first control-flow body, and takes a light and a dark screenshot named `<prefix>-light/dark.png`.
 */
export async function graphScenario(page: Page, wb: Workbench, opts: { model: string; prefix: string; nodes: number; subgraph?: boolean; ms?: number }): Promise<GraphState> {
  const log = new ConsoleLog(page);
  await wb.quickOpen(opts.model);
  await wb.webview().locator('#mi-title').waitFor({ timeout: 60_000 });
  await wb.openTab('graph');
  let state = await waitDrawn(wb, undefined, opts.ms ?? 60_000);
  console.log(`  ${opts.model}: ${state.status}; ${state.boxes} boxes, first paint ${state.firstPaintMs.toFixed(0)} ms, layout ${state.lastLayoutMs.toFixed(0)} ms in ${state.layoutMode}`);
  const shown = /^(\d+) nodes?\b/.exec(state.status);
  ok(shown && Number(shown[1]) === opts.nodes, `status "${state.status}" does not count the model's ${opts.nodes} nodes`);
  if (opts.subgraph) {
    // Descend into the first node that owns a subgraph (the If's then_branch): the breadcrumb path of issue 3.
    const id = await wb.webview().locator('[data-tab-body="graph"]').evaluate((el) => {
      type G = { vm?: { payload: { nodes: { id: string; subgraphs?: number }[] } }; open(id: string): Promise<void> };
      const g = (el as HTMLElement & { miGraph?: G }).miGraph;
      const owner = g?.vm?.payload.nodes.find((n) => (n.subgraphs ?? 0) > 0);
      if (!g || !owner) return '';
      void g.open(`${owner.id}:0`);
      return `${owner.id}:0`;
    });
    ok(id, 'the model has no node with a subgraph');
    state = await waitDrawn(wb, id, 30_000);
    console.log(`  subgraph ${id}: ${state.status}; ${state.boxes} boxes`);
  }
  for (const [theme, suffix] of [['Default Light Modern', 'light'], ['Default Dark Modern', 'dark']] as [Theme, string][]) {
    await wb.setTheme(theme);
    // The graph re-reads colours on the body's class change and redraws on the next frame: let two frames pass.
    await wb.webview().locator('body').evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await shot(page, `${opts.prefix}-${suffix}.png`);
  }
  ok(state.layoutMode === 'worker', `the layout ran on the ${state.layoutMode}, not in the worker`);
  const fallbacks = log.matching('layout worker').concat(log.matching('cannot start the layout worker'));
  ok(fallbacks.length === 0, `the webview fell back from the layout worker: ${fallbacks.join(' | ')}`);
  const errors = log.matching('[model-inspector]').filter((m) => m.startsWith('error'));
  ok(errors.length === 0, `the webview logged errors: ${errors.join(' | ')}`);
  return state;
}
