// "Model Inspector: Compare With…" from the palette on the open model, B answered in the file dialog: the panel
// switches to its Compare tab and shows the comparison the project's own compare computes; "Show on graph" colours
// the graph with the comparison's overlay.
import { ok, strictEqual } from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import type { Page } from 'playwright-core';
import { checkOverview, eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';
import { graphState } from './graph';

/** Writes a copy of the ONNX model `from` with one float of its largest float32 initializer moved by `delta`;
 *  returns that initializer's name. */
export function perturbedCopy(from: string, to: string, delta = 0.5): string {
  const m = onnx.ModelProto.decode(readFileSync(from));
  const floats = (m.graph!.initializer ?? []).filter((t) => t.dataType === onnx.TensorProto.DataType.FLOAT);
  const count = (t: onnx.ITensorProto) => (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1);
  const t = floats.sort((a, b) => count(b) - count(a))[0];
  if (!t) throw new Error(`${from} has no float32 initializer to perturb`);
  if (t.rawData && t.rawData.length) {
    const raw = Buffer.from(t.rawData);
    raw.writeFloatLE(raw.readFloatLE(0) + delta, 0);
    t.rawData = raw;
  } else {
    t.floatData![0] += delta;
  }
  writeFileSync(to, onnx.ModelProto.encode(m).finish());
  return t.name!;
}

export interface CompareExpect {
  a: string;
  aPath: string;
  bPath: string;
  other: string;
  /** The tensor that differs (listed first among changed tensors). */
  changed: string;
  matched: number;
}

export async function compareScenario(page: Page, wb: Workbench, opts: CompareExpect): Promise<void> {
  await wb.quickOpen(opts.a);
  await checkOverview(wb, opts.aPath);
  await wb.runCommand('Model Inspector: Compare With');
  // The palette's command compares the active model (A) with the file picked in the (simple) file dialog.
  await wb.answerFileDialog(opts.bPath);
  const text = await compareHeadline(wb);
  const wv = wb.webview();
  const error = wv.locator('#mi-compare-error');
  console.log(`  compare: ${text}`);
  ok(text.startsWith(`${opts.a} vs ${opts.other}:`), `headline "${text}" does not read "${opts.a} vs ${opts.other}: …"`);
  ok(text.includes(`${opts.matched} nodes matched, 0 added, 0 removed, 0 changed`), `headline "${text}" does not count ${opts.matched} matched nodes and no others`);
  ok(/1 changed \(overall/.test(text), `headline "${text}" does not count exactly one changed weight`);
  const firstChanged = (await wv.locator('.mi-compare-tensors tbody tr:first-child td:first-child').innerText()).trim();
  strictEqual(firstChanged, opts.changed, 'the changed tensor heads the weights table');
  await shot(page, 'compare.png');
  // Outputs on the same input: tick "Run both models", compare again (B is remembered), expect the outputs section.
  await wv.locator('#mi-compare-outputs').check();
  await wv.locator('#mi-compare-again').click();
  const outputs = wv.locator('[data-section="outputs"] table tbody tr');
  ok(await eventually(async () => (await outputs.count()) > 0 || (await error.isVisible()), 90_000), `no output rows after "Run both models": ${await wv.locator('[data-section="outputs"]').innerText().catch(String)}`);
  if (await error.isVisible()) throw new Error(`Compare with outputs failed: ${await error.innerText()}`);
  const divergence = wv.locator('#mi-compare-divergence');
  if (await divergence.isVisible()) console.log(`  ${(await divergence.innerText()).trim()}`);
  await wv.locator('[data-section="outputs"]').scrollIntoViewIfNeeded();
  await shot(page, 'compare-outputs.png');
  // Show on graph: the Graph tab opens with the comparison's overlay set on the drawn graph.
  await wv.locator('#mi-compare-overlay').click();
  await wv.locator('[data-tab-body="graph"]').waitFor({ state: 'visible', timeout: 15_000 });
  ok(await eventually(async () => (await graphState(wb)).boxes > 0, 60_000), 'the graph was not drawn');
  const overlay = await wv.locator('[data-tab-body="graph"]').evaluate((el) => {
    const g = (el as HTMLElement & { miGraph?: { overlay?: { title?: string; values: Record<string, number> } } }).miGraph;
    return g?.overlay ? { title: g.overlay.title ?? '', n: Object.keys(g.overlay.values).length, levels: new Set(Object.values(g.overlay.values)).size } : null;
  });
  ok(overlay && overlay.n > 0, `the graph has no compare overlay: ${JSON.stringify(overlay)}`);
  ok(overlay.levels > 1, `the overlay gives every node the same colour: ${JSON.stringify(overlay)}`);
  console.log(`  graph overlay "${overlay.title}" on ${overlay.n} nodes`);
  await page.waitForTimeout(500);
  await shot(page, 'compare-graph.png');
}

/** Explorer: two files selected (A clicked first, B added with Ctrl), right-click → "Compare With…": A's panel
 *  opens on its Compare tab comparing with B, no dialog asked. */
export async function explorerCompareScenario(page: Page, wb: Workbench, opts: { a: string; b: string; screenshot: string }): Promise<void> {
  await wb.closeAllEditors();
  await wb.explorerRow(opts.a).click();
  await wb.explorerRow(opts.b).click({ modifiers: ['Control'] });
  await wb.explorerContextMenu(opts.b, 'Compare With');
  const text = await compareHeadline(wb);
  ok(text.startsWith(`${opts.a} vs ${opts.b}:`), `headline "${text}" does not read "${opts.a} vs ${opts.b}: …" (A = the first selected)`);
  console.log(`  explorer compare: ${text}`);
  await shot(page, opts.screenshot);
}

/** Waits for the Compare tab's result (or its error, thrown) and returns the headline. */
async function compareHeadline(wb: Workbench): Promise<string> {
  const wv = wb.webview();
  await wv.locator('[data-tab-body="compare"]').waitFor({ state: 'visible', timeout: 30_000 });
  const headline = wv.locator('#mi-compare-headline');
  const error = wv.locator('#mi-compare-error');
  ok(await eventually(async () => (await headline.isVisible()) || (await error.isVisible()), 90_000), 'the Compare tab showed no result');
  if (await error.isVisible()) throw new Error(`Compare failed: ${await error.innerText()}`);
  return (await headline.innerText()).trim();
}
