// The Explanations side view (our activity-bar container): it summarises the active model and follows the node
// selected in the Graph tab, which is clicked on the canvas like a user would.
import { ok, strictEqual } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';
import { graphState } from './graph';

export async function sidePanelScenario(page: Page, wb: Workbench, opts: { model: string }): Promise<void> {
  await wb.quickOpen(opts.model);
  await wb.webview().locator('#mi-title').waitFor({ timeout: 60_000 });
  await wb.openSideView();
  const side = wb.sideView();
  await side.locator('#mi-side-title').filter({ hasText: opts.model }).waitFor({ timeout: 30_000 });
  await wb.openTab('graph');
  ok(await eventually(async () => (await graphState(wb)).boxes > 0, 60_000), 'the graph was not drawn');
  // Centre of the first operator's box in canvas CSS pixels (scene coordinates through the view transform).
  const target = await wb.webview().locator('[data-tab-body="graph"]').evaluate((el) => {
    type G = {
      view: { k: number; tx: number; ty: number };
      vm: { payload: { nodes: { id: string; kind: string }[] } };
      scene: { boxOf: ArrayLike<number>; x: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number>; h: ArrayLike<number> };
    };
    const g = (el as HTMLElement & { miGraph?: G }).miGraph!;
    const i = g.vm.payload.nodes.findIndex((n, j) => n.kind === 'op' && g.scene.boxOf[j] >= 0);
    const b = g.scene.boxOf[i];
    return { id: g.vm.payload.nodes[i].id, x: (g.scene.x[b] + g.scene.w[b] / 2) * g.view.k + g.view.tx, y: (g.scene.y[b] + g.scene.h[b] / 2) * g.view.k + g.view.ty };
  });
  await wb.webview().locator('[data-tab-body="graph"] canvas.view').click({ position: { x: target.x, y: target.y } });
  // The side panel explains the clicked node: its title carries the node id, and a description in plain words follows.
  const title = side.locator('#mi-side-node-title');
  ok(await eventually(async () => (await title.getAttribute('title')) === target.id, 15_000),
    `the side panel shows "${await side.locator('#mi-side-selected').innerText().catch(String)}", not the clicked node ${target.id}`);
  const description = (await side.locator('#mi-side-node-description').innerText({ timeout: 5_000 })).trim();
  ok(description.length > 20, `the side panel has no description of the node: "${description}"`);
  strictEqual(await wb.webview().locator('[data-tab-body="graph"] .side').isVisible(), true, 'the graph sidebar did not open for the clicked node');
  console.log(`  clicked node ${target.id} at (${target.x.toFixed(0)}, ${target.y.toFixed(0)}); side panel follows`);
  await shot(page, 'side-panel.png');
}
