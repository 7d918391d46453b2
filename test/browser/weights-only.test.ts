// A weights-only file (a real SafeTensors fixture) in the panel: the Graph tab's "no graph" note and tensor tree by
// name scope, answered by the engine's own getTensorList handler (a tensor row opens the Weights tab on that
// tensor); Run and Explain say why nothing runs and offer nothing that would.
// Screenshots: test-artifacts/tensor-tree-{light,dark}.png, weights-only-run.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { graphHandlers } from '../../src/engine/handlers/graph';
import type { EngineServices } from '../../src/engine/handlers/types';
import type { Model } from '../../src/model';
import { computeModelStats, exactHistograms } from '../../src/stats';
import { startHarness, type Harness } from './webview-harness';

const artifacts = resolve(__dirname, '../../test-artifacts');
const fixture = resolve(__dirname, '../fixtures/safetensors/tiny.safetensors');
let harness: Harness;
let model: Model;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  model = await openModel(fixture);
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
  await model?.dispose?.();
});

/** Scope → tensors under it, computed here from the names (split on "." and "/"), independently of the webview. */
function expectedScopes(names: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of names) {
    const parts = n.split(/[./]/).filter(Boolean);
    if (parts.length > 1) out.set(parts[0], (out.get(parts[0]) ?? 0) + 1);
  }
  return out;
}

test('a SafeTensors file: the Graph tab says there is no graph and lists its tensors by scope; a row opens Weights', async () => {
  const names = model.graph.initializers.map((t) => t.name);
  assert.ok(model.graph.nodes.length === 0 && names.length > 5, 'the fixture is weights-only with several tensors');
  const scopes = expectedScopes(names);
  const loose = names.filter((n) => n.split(/[./]/).filter(Boolean).length === 1);
  const handler = graphHandlers({ store: { get: () => model } } as unknown as EngineServices).getTensorList!;
  const stats = await computeModelStats(model);
  for (const theme of ['light', 'dark'] as const) {
    const calls: string[] = [];
    const v = await harness.open({
      view: 'panel',
      theme,
      width: 900,
      height: 600,
      handlers: {
        getOverview: () => summarize(model, statSync(fixture).size),
        getTensorList: (p, ctx) => (calls.push('list'), handler({ ...p, modelId: 'm' } as Parameters<typeof handler>[0], ctx)),
        getWeightStats: () => stats,
        getHistograms: (req) => exactHistograms(model, req),
      },
      onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'tiny.safetensors', trusted: true }),
    });
    try {
      const { page } = v;
      await page.locator('vscode-tab-header[data-tab="graph"]').click();
      await page.locator('#mi-tensor-tree .mi-tree-tensor').first().waitFor({ timeout: 10_000 });
      assert.match(await page.locator('#mi-graph-none').innerText(), /weights only/);
      // Top level: one <details> per first name part with its count, then the tensors without a scope.
      const top = await page.locator('#mi-tensor-tree > .mi-tree-children > details.mi-tree-scope').evaluateAll((ds) =>
        ds.map((d) => ({ label: d.querySelector('.mi-tree-name')!.textContent, summary: d.querySelector('summary')!.textContent, open: (d as HTMLDetailsElement).open })));
      assert.deepEqual(new Map(top.map((s) => [s.label, Number(/(\d+) tensors?/.exec(s.summary!)?.[1])])), scopes);
      for (const s of top) {
        const params = model.graph.initializers.filter((t) => t.name.startsWith(`${s.label}.`)).reduce((a, t) => a + t.elementCount, 0);
        assert.match(s.summary!, new RegExp(`${params}|${(params / 1000).toFixed(1)}`), `${s.label}: ${s.summary} vs ${params} parameters`);
        assert.equal(s.open, true, 'top-level scopes start open');
      }
      const looseRows = await page.locator('#mi-tensor-tree > .mi-tree-children > .mi-tree-tensor').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-tensor')));
      assert.deepEqual(looseRows.sort(), loose.sort());
      // Every tensor is in the tree once (all scopes here are one level deep, so all rows are built).
      const all = await page.locator('#mi-tensor-tree .mi-tree-tensor[data-tensor]').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-tensor')));
      assert.deepEqual([...all].sort(), [...names].sort());
      // Rows show the dtype and shape the reader found.
      const conv = model.graph.initializers.find((t) => t.name === 'conv.weight')!;
      assert.match(await page.locator('.mi-tree-tensor[data-tensor="conv.weight"]').innerText(), new RegExp(`${conv.dtype}\\s+\\[${conv.shape.join(', ')}\\]`));
      await page.screenshot({ path: join(artifacts, `tensor-tree-${theme}.png`), fullPage: true });
      // Click → Weights tab, that tensor selected.
      await page.locator('.mi-tree-tensor[data-tensor="conv.weight"]').click();
      await page.locator('[data-tab-body="weights"]').waitFor({ state: 'visible', timeout: 10_000 });
      await page.locator('#mi-weights-chart-title', { hasText: 'conv.weight' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(calls, ['list']);
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
});

/** The panel on the fixture, served its summary only (a trusted workspace). */
function openWithSummary(summary: ReturnType<typeof summarize>, theme: 'light' | 'dark') {
  return harness.open({
    view: 'panel',
    theme,
    width: 900,
    height: 500,
    handlers: { getOverview: () => summary },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'tiny.safetensors', trusted: true }),
  });
}

test('a SafeTensors file: Run and Explain show only why it cannot run (no form, no Run/Profile buttons)', async () => {
  const summary = summarize(model, statSync(fixture).size);
  assert.equal(summary.runs.runtime, null);
  const why = summary.runs.why!;
  const v = await openWithSummary(summary, 'dark');
  try {
    const { page } = v;
    const visibleButtons = (tab: string) => page.locator(`[data-tab-body="${tab}"] vscode-button`).evaluateAll((bs) =>
      bs.filter((b) => (b as HTMLElement).offsetParent !== null).map((b) => b.textContent?.trim()));
    await page.locator('vscode-tab-header[data-tab="run"]').click();
    await page.locator('#mi-run-cannot').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await page.locator('#mi-run-cannot').innerText()).trim(), why);
    assert.deepEqual(await visibleButtons('run'), [], 'the Run tab offers buttons for a file that cannot run');
    assert.equal(await page.locator('#mi-run-inputs, #mi-run-providers').first().isVisible(), false, 'the input form is shown');
    await page.screenshot({ path: join(artifacts, 'weights-only-run.png') });
    await page.locator('vscode-tab-header[data-tab="explain"]').click();
    await page.locator('#mi-explain-cannot').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal((await page.locator('#mi-explain-cannot').innerText()).trim(), why);
    assert.deepEqual(await visibleButtons('explain'), [], 'the Explain tab offers buttons for a file that cannot run');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});

test('a SafeTensors file: the Overview says it holds weights only, without empty Inputs/Outputs/Operators or ONNX-only facts', async () => {
  const summary = summarize(model, statSync(fixture).size);
  const v = await openWithSummary(summary, 'light');
  try {
    const { page } = v;
    await page.locator('#mi-weights-only').waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#mi-weights-only').innerText(), new RegExp(`stores ${model.graph.initializers.length} tensors and no graph`));
    assert.equal(await page.locator('#mi-inputs, #mi-outputs, #mi-ops').count(), 0);
    const terms = await page.locator('.mi-overview dl.mi-facts dt').allInnerTexts();
    assert.deepEqual(terms, ['Format', 'Producer', 'File size', 'Parameters']);
    await page.screenshot({ path: join(artifacts, 'weights-only-overview.png') });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});
