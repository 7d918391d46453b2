// The six formats added after ONNX and TF.js, each opened the way a user would (Quick Open for the formats the
// inspector is the default editor of, Explorer → "Inspect Model" for shared extensions such as .h5/.pt), checked
// against the project's reader, and shown: Overview screenshot, the tensor tree of a weights-only file, Run on Keras
// (tfjs), and the reason a weights-only file cannot run.
import { ok, strictEqual } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { checkOverview, eventually, shot } from '../driver/harness';
import type { ModelSummary } from '../../../src/protocol/summary';
import type { Workbench } from '../driver/workbench';

export interface FormatCase {
  /** Screenshot name part: format-<shot>.png. */
  shot: string;
  /** The file's name in the workspace (what Quick Open / the Explorer shows). */
  file: string;
  /** Its path on disk, for the expected summary. */
  path: string;
  open: 'quick-open' | 'explorer';
  /** The Overview's label, when it does not spell the format id. */
  formatName?: string;
}

export async function openFormat(page: Page, wb: Workbench, c: FormatCase): Promise<ModelSummary> {
  await wb.closeAllEditors();
  if (c.open === 'quick-open') await wb.quickOpen(c.file);
  else await wb.explorerContextMenu(c.file, 'Inspect Model');
  const want = await checkOverview(wb, c.path, { formatName: c.formatName });
  await shot(page, `format-${c.shot}.png`);
  return want;
}

/** The Graph tab of a weights-only file: the "no graph" note, scopes whose counts add up to the reader's tensors,
 *  and a tensor row that opens the Weights tab on that tensor. */
export async function tensorTreeScenario(page: Page, wb: Workbench, opts: { weights: number; parameters: number; screenshot: string }): Promise<void> {
  const wv = wb.webview();
  await wb.openTab('graph');
  await wv.locator('#mi-tensor-tree').waitFor({ timeout: 30_000 });
  ok(await wv.locator('#mi-graph-none').isVisible(), 'the Graph tab of a weights-only file does not say there is no graph');
  const rows = wv.locator('#mi-tensor-tree .mi-tree-tensor[data-tensor]');
  ok(await eventually(async () => (await rows.count()) > 0, 30_000), 'the tensor tree shows no tensor rows');
  // Top-level entries: scopes (with "<n> tensors, <p> parameters") and loose tensors; together they hold every tensor.
  const top = await wv.locator('#mi-tensor-tree > .mi-tree-children').evaluate((el) => {
    let tensors = 0;
    for (const c of Array.from(el.children)) {
      if (c.matches('details.mi-tree-scope')) tensors += Number(/(\d+) tensors?/.exec(c.querySelector('summary')?.textContent ?? '')?.[1] ?? NaN);
      else if (c.matches('.mi-tree-tensor')) tensors += 1;
    }
    return { tensors, entries: el.children.length };
  });
  strictEqual(top.tensors, opts.weights, 'tensors under the tree\'s top level vs the reader\'s tensors');
  await shot(page, opts.screenshot);
  const first = rows.first();
  const name = (await first.getAttribute('data-tensor'))!;
  await first.click();
  await wv.locator('[data-tab-body="weights"]').waitFor({ state: 'visible', timeout: 15_000 });
  const title = wv.locator('#mi-weights-chart-title');
  ok(await eventually(async () => (await title.innerText()).trim() === name, 30_000), `the Weights tab shows "${await title.innerText().catch(String)}", not the clicked tensor ${name}`);
  console.log(`  tensor tree: ${top.entries} top-level entries holding ${top.tensors} tensors; ${name} opened in Weights`);
}

/** Run and Explain of a file without a runtime: disabled, each saying why (the summary's reason). */
export async function cannotRunScenario(page: Page, wb: Workbench, opts: { why: string; screenshot: string }): Promise<void> {
  const wv = wb.webview();
  await wb.openTab('run');
  const cannot = wv.locator('#mi-run-cannot');
  await cannot.waitFor({ state: 'visible', timeout: 15_000 });
  strictEqual((await cannot.innerText()).trim(), opts.why, 'the Run tab\'s reason');
  ok(await wv.locator('#mi-run-button').evaluate((b) => b.hasAttribute('disabled')), 'the Run button is enabled for a file that cannot run');
  await shot(page, opts.screenshot);
  await wb.openTab('explain');
  const cannotExplain = wv.locator('#mi-explain-cannot');
  await cannotExplain.waitFor({ state: 'visible', timeout: 15_000 });
  ok((await cannotExplain.innerText()).includes(opts.why), `the Explain tab says "${await cannotExplain.innerText()}"`);
}
