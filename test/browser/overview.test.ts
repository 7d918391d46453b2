import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import type { ModelSummary } from '../../src/protocol/summary';
import { RpcError } from '../../src/protocol/wire';
import { formatCount, formatShape, sortedOpCounts } from '../../webview/overview/format';
import { startHarness, type Harness, type OpenedView } from './webview-harness';
import type { ThemeName } from './themes';

const data = '/usr/share/libonnx-testdata/data';
const artifacts = resolve(__dirname, '../../test-artifacts');
let harness: Harness;

async function summaryOf(rel: string): Promise<ModelSummary> {
  const path = join(data, rel, 'model.onnx');
  return summarize(await openModel(path), statSync(path).size);
}

/** Opens a panel whose host answers getOverview with `overview()` (which may throw), like PanelSession does. */
async function openPanel(theme: ThemeName, overview: () => ModelSummary, fileName = 'model.onnx', counters = { retry: 0 }): Promise<OpenedView> {
  return harness.open({
    view: 'panel',
    theme,
    handlers: {
      getOverview: () => overview(),
      retry: () => void counters.retry++,
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName, trusted: true }),
  });
}

const text = (v: OpenedView, sel: string) => v.page.locator(sel).first().innerText();

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
  console.log(`webview bundle: main.js ${(harness.bundleBytes.js / 1024).toFixed(1)} KiB, main.css ${(harness.bundleBytes.css / 1024).toFixed(1)} KiB`);
  assert.ok(harness.bundleBytes.js < 400 * 1024, `webview bundle is ${harness.bundleBytes.js} bytes`);
});

after(async () => {
  await harness?.close();
});

test('the Overview shows the counts, tables and op types of a real model, in light and dark themes', async () => {
  const summary = await summaryOf('node/test_layer_normalization_4d_axis_negative_1_expanded');
  for (const theme of ['light', 'dark'] as const) {
    const v = await openPanel(theme, () => summary);
    try {
      await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
      assert.equal(await text(v, '#mi-title'), 'model.onnx');
      assert.equal(await text(v, '#mi-format'), 'ONNX');
      assert.equal(await text(v, '#mi-node-count'), String(summary.nodeCount));
      assert.equal(await v.page.locator('#mi-param-count').getAttribute('data-value'), String(summary.parameterCount));
      assert.equal(await text(v, '#mi-param-count'), formatCount(summary.parameterCount));
      // Inputs/outputs: one row per value, with its dtype and shape.
      for (const [id, values] of [['#mi-inputs', summary.inputs], ['#mi-outputs', summary.outputs]] as const) {
        const rows = await v.page.locator(`${id} tbody tr`).allInnerTexts();
        assert.equal(rows.length, values.length);
        values.forEach((val, i) => assert.deepEqual(rows[i].split('\t').map((s) => s.trim()), [val.name, val.dtype, formatShape(val.shape)]));
      }
      // Op types: all of them, most frequent first.
      const ops = await v.page.locator('#mi-ops tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-op'), Number(tr.children[1].textContent)]));
      assert.deepEqual(ops, sortedOpCounts(summary.opTypeCounts));
      assert.ok(ops.length >= 10, 'the chosen model has many op types');
      // Every tab has a button; the Overview is the one shown.
      for (const id of ['overview', 'graph', 'weights', 'run', 'explain']) assert.equal(await v.page.locator(`[data-tab="${id}"]`).count(), 1, id);
      assert.ok(await v.page.locator('[data-tab-body="overview"]').isVisible());
      await v.page.screenshot({ path: join(artifacts, `overview-${theme}.png`), fullPage: true });
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
});

/** Each op row's count and its bar's drawn width in px. */
const opBars = (v: OpenedView) => v.page.locator('#mi-ops tbody tr').evaluateAll((trs) =>
  trs.map((tr) => ({ op: tr.getAttribute('data-op')!, count: Number(tr.children[1].textContent), width: (tr.querySelector('.mi-bar') as HTMLElement).getBoundingClientRect().width, label: tr.children[2].textContent })));

test('operator bars are proportional to the counts (share of nodes, with a % label); the file name is not repeated on the page', async () => {
  const big = await summaryOf('node/test_layer_normalization_4d_axis_negative_1_expanded');
  const tinyPath = resolve(__dirname, '../../examples/tiny-cnn.onnx');
  const tiny = { ...summarize(await openModel(tinyPath), statSync(tinyPath).size), file: 'tiny-cnn.onnx' };
  for (const [summary, shot] of [[big, 'overview-ops-big'], [tiny, 'overview-ops-small']] as const) {
    const v = await openPanel('light', () => summary, summary.file);
    try {
      await v.page.locator('#mi-ops').waitFor({ timeout: 10_000 });
      const bars = await opBars(v);
      const total = bars.reduce((t, b) => t + b.count, 0);
      assert.equal(total, summary.nodeCount);
      const track = await v.page.locator('#mi-ops tbody td.mi-bar-col').first().evaluate((td) => (td as HTMLElement).getBoundingClientRect().width);
      // Width per node is the same on every row: bars proportional to counts, and together at most one track wide.
      const perNode = bars.map((b) => b.width / b.count);
      for (const p of perNode) assert.ok(Math.abs(p - perNode[0]) < 0.02 * perNode[0] + 0.5, JSON.stringify(bars));
      assert.ok(bars.reduce((t, b) => t + b.width, 0) <= track, `bars ${JSON.stringify(bars)} exceed the ${track}px track`);
      for (const b of bars) {
        assert.match(b.label ?? '', /^\d+(\.\d)?%$/);
        assert.ok(Math.abs(parseFloat(b.label!) - (100 * b.count) / total) <= 0.5, `${b.op}: ${b.label} for ${b.count} of ${total}`);
      }
      // The file name: the editor tab names it; the page keeps it for screen readers only, not on screen again.
      assert.equal(await text(v, '#mi-title'), summary.file);
      const box = await v.page.locator('#mi-title').boundingBox();
      assert.ok(box && box.width <= 1 && box.height <= 1, JSON.stringify(box));
      const onScreen = await v.page.locator('#mi-root').evaluate((root) => (root as HTMLElement).innerText);
      assert.equal(onScreen.split(summary.file).length - 1, 1, 'only the screen-reader heading holds the file name');
      await v.page.screenshot({ path: join(artifacts, `${shot}.png`), fullPage: true });
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
  // tiny-cnn: six op types, one node each: six equal bars, each a sixth of the track, not six full-width ones.
  assert.deepEqual(Object.values(tiny.opTypeCounts), [1, 1, 1, 1, 1, 1]);
});

test('main and total node counts differ for a model with subgraphs; parameters are humanised', async () => {
  const withIf = await summaryOf('node/test_if');
  assert.notEqual(withIf.nodeCount, withIf.totalNodeCount);
  let v = await openPanel('light', () => withIf);
  try {
    await v.page.locator('#mi-node-total').waitFor({ timeout: 10_000 });
    assert.equal(await text(v, '#mi-node-count'), String(withIf.nodeCount));
    assert.equal(await v.page.locator('#mi-node-total').getAttribute('data-value'), String(withIf.totalNodeCount));
    assert.match(await text(v, '#mi-node-total'), /2 subgraphs/);
  } finally {
    await v.close();
  }
  const conv = await summaryOf('pytorch-operator/test_operator_conv');
  // A big synthetic count checks the humanised form the real model (1,872 parameters) also goes through.
  // Metadata and warnings from a file are text, never markup.
  const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
  v = await openPanel('light', () => ({ ...conv, parameterCount: 1_234_567, parameterBytes: 4_800_000, dataFiles: { count: 2, bytes: 5_000_000 }, metadata: { author: hostile }, warnings: [`weights.bin: missing external data ${hostile}`] }));
  try {
    await v.page.locator('#mi-param-count').waitFor({ timeout: 10_000 });
    assert.equal(await text(v, '#mi-param-count'), '1.2 M');
    assert.match(await text(v, '#mi-param-bytes'), /4\.8 MB/);
    assert.match(await text(v, '#mi-file-size'), /^[\d.]+ (B|KB) \+ 2 data files \(5(\.0)? MB\)$/);
    assert.equal(await text(v, '#mi-metadata td'), hostile);
    assert.ok((await text(v, '#mi-warnings')).includes(`weights.bin: missing external data ${hostile}`));
    assert.equal(await v.page.locator('#mi-root img, #mi-root b').count(), 0);
    assert.equal(await v.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  } finally {
    await v.close();
  }
});

test('tabs switch on click and placeholders say coming soon', async () => {
  const summary = await summaryOf('pytorch-converted/test_Conv2d');
  const v = await openPanel('light', () => summary);
  try {
    await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await v.page.locator('[data-tab="weights"]').click();
    const weights = v.page.locator('[data-tab-body="weights"]');
    await weights.waitFor({ state: 'visible', timeout: 5000 });
    assert.ok(!(await v.page.locator('[data-tab-body="overview"]').isVisible()));
    if (await weights.locator('[data-placeholder]').count()) assert.match(await weights.innerText(), /coming soon/);
    await v.page.locator('[data-tab="overview"]').click();
    await v.page.locator('[data-tab-body="overview"]').waitFor({ state: 'visible', timeout: 5000 });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});

test('an open failure shows the error view with the file, the reason and Retry; Retry asks the host and recovers', async () => {
  const summary = await summaryOf('pytorch-converted/test_Conv2d');
  const counters = { retry: 0 };
  let fail = true;
  const reason = 'broken.onnx: is not a model format Model Inspector reads (expected an ONNX .onnx file or a TF.js model.json)';
  for (const theme of ['light', 'dark'] as const) {
    fail = true;
    counters.retry = 0;
    const v = await openPanel(theme, () => {
      if (fail) throw new RpcError('failed', reason);
      return summary;
    }, 'broken.onnx', counters);
    try {
      await v.page.locator('#mi-error').waitFor({ timeout: 10_000 });
      const err = await text(v, '#mi-error');
      assert.match(err, /broken\.onnx/);
      assert.ok(err.includes(reason), err);
      await v.page.screenshot({ path: join(artifacts, `error-${theme}.png`) });
      fail = false;
      await v.page.locator('#mi-retry').click();
      await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
      assert.equal(counters.retry, 1);
      assert.equal(await v.page.locator('#mi-error').count(), 0);
      // A crash after the model is shown: the host's error event replaces the view.
      v.channel.emit('error', { message: 'broken.onnx: the model engine stopped (killed by SIGKILL)', retryable: true });
      await v.page.locator('#mi-error').waitFor({ timeout: 5000 });
      assert.match(await text(v, '#mi-error'), /SIGKILL/);
      assert.equal(await v.page.locator('#mi-retry').count(), 1);
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
});

test('unknown and malformed host messages are ignored; host requests the page does not serve are refused', async () => {
  const summary = await summaryOf('pytorch-converted/test_Conv2d');
  const v = await openPanel('light', () => summary);
  try {
    await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    const junk = ['hello', 42, null, { foo: 1 }, { t: 'bogus' }, { t: 'res', id: -1 }, { t: 'event', name: 'nope', payload: {} },
      { t: 'event', name: 'error' /* no payload: handler must not render garbage */ }, { t: 'req', id: 77, method: 'evil', params: {} }];
    for (const m of junk.slice(0, -2)) await v.post(m);
    await v.post(junk[junk.length - 1]);
    await v.page.waitForFunction(() => true);
    const deadline = Date.now() + 30_000; // a hang guard: the loop ends at the refusal
    let refusal: unknown;
    while (!refusal && Date.now() < deadline) {
      refusal = v.sent.find((m) => (m as { t?: string; id?: number }).t === 'err' && (m as { id?: number }).id === 77);
      if (!refusal) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual((refusal as { error: { code: string } }).error.code, 'unknown-method');
    assert.equal(await text(v, '#mi-node-count'), String(summary.nodeCount));
    assert.equal(await v.page.locator('#mi-error').count(), 0);
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});

test('the side view shows the active model and explains the selected node', async () => {
  const summary = await summaryOf('pytorch-converted/test_Conv2d');
  for (const theme of ['light', 'dark'] as const) {
    const v = await harness.open({
      view: 'sidebar',
      theme,
      width: 320,
      height: 900,
      handlers: {},
      onReady: (rpc) => {
        rpc.emit('init', { view: 'sidebar', fileName: '', trusted: true });
        rpc.emit('activeModel', { summary: null });
      },
    });
    try {
      await v.page.locator('#mi-side-summary').waitFor({ timeout: 10_000 });
      assert.match(await text(v, '#mi-side-summary'), /Open an ONNX or TF\.js model/);
      v.channel.emit('activeModel', { summary });
      await v.page.locator('#mi-side-title').waitFor({ timeout: 5000 });
      assert.equal(await text(v, '#mi-side-title'), 'model.onnx');
      assert.match(await text(v, '#mi-side-summary'), /76/);
      v.channel.emit('nodeSelected', { nodeId: 'conv_0' });
      await v.page.waitForFunction(() => document.getElementById('mi-side-node-title')?.textContent === 'conv_0', undefined, { timeout: 5000 });
      assert.match(await text(v, '#mi-side-selected'), /Loading details/);
      // What the host sends next (shape of src/host/node-explanation.ts's output); the text is shown as given.
      const description = 'Slides learned filters over the input and sums the products at each position.';
      const base = {
        nodeId: 'conv_0', opType: 'Conv', domain: '', name: 'conv1', description,
        attributes: ['kernel_shape = [3, 3]', 'pads = [1, 1, 1, 1]'], attributesOmitted: 2,
        inputs: [{ name: 'input', dtype: 'float32' as const, shape: [1, 3, 32, 32] }],
        outputs: [{ name: 'conv_out', dtype: 'float32' as const, shape: [1, 16, 32, 32] }],
        parameterCount: 448,
      };
      const weights = [
        { name: 'conv.weight', dtype: 'float32' as const, shape: [16, 3, 3, 3], count: 432 },
        { name: 'conv.bias', dtype: 'float32' as const, shape: [16], count: 16 },
      ];
      v.channel.emit('nodeSelected', { nodeId: 'conv_0', explanation: { ...base, weights } });
      await v.page.locator('#mi-side-node-description').waitFor({ timeout: 5000 });
      assert.equal(await text(v, '#mi-side-node-title'), 'Conv — conv1');
      assert.equal(await text(v, '#mi-side-node-description'), description);
      assert.match(await text(v, '#mi-side-node-params'), /448/);
      assert.match(await text(v, '#mi-side-node-attributes'), /kernel_shape = \[3, 3\][\s\S]*and 2 more/);
      assert.equal(await v.page.locator('#mi-side-node-weights [data-health="pending"]').count(), 2);
      v.channel.emit('nodeSelected', { nodeId: 'conv_0', explanation: { ...base, weights: [
        { ...weights[0], health: { severity: 'error' as const, message: '3 NaN values of 432' } },
        { ...weights[1], health: 'ok' as const },
      ] } });
      await v.page.locator('#mi-side-node-weights [data-health="error"]').waitFor({ timeout: 5000 });
      const rows = await v.page.locator('#mi-side-node-weights li').allInnerTexts();
      assert.equal(rows.length, 2);
      assert.match(rows[0], /conv\.weight[\s\S]*\[16, 3, 3, 3\][\s\S]*432 params[\s\S]*3 NaN values of 432/);
      assert.match(rows[1], /conv\.bias[\s\S]*healthy/);
      await v.page.screenshot({ path: join(artifacts, `sidebar-${theme}.png`), fullPage: true });
      // A new model clears the selection.
      v.channel.emit('activeModel', { summary });
      await v.page.waitForFunction(() => !document.getElementById('mi-side-node-title'), undefined, { timeout: 5000 });
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
    }
  }
});

test('Restricted Mode shows a badge that goes away when the workspace is trusted', async () => {
  const summary = await summaryOf('pytorch-converted/test_Conv2d');
  const v = await harness.open({
    view: 'panel',
    theme: 'light',
    handlers: { getOverview: () => summary },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: false }),
  });
  try {
    await v.page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    assert.ok(await v.page.locator('#mi-trust').isVisible());
    v.channel.emit('trust', { trusted: true });
    await v.page.locator('#mi-trust').waitFor({ state: 'hidden', timeout: 5000 });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});

test('metadata: keys take their own width, values the rest (short values do not push them to the far right)', async () => {
  const gguf = resolve(__dirname, '../fixtures/gguf/tiny.gguf');
  const summary = summarize(await openModel(gguf), statSync(gguf).size);
  const v = await openPanel('dark', () => summary, 'tiny.gguf');
  try {
    await v.page.locator('#mi-metadata').waitFor({ timeout: 10_000 });
    const widths = await v.page.locator('#mi-metadata tbody tr').evaluateAll((trs) => trs.map((tr) => {
      const th = tr.children[0] as HTMLElement;
      const range = document.createRange();
      range.selectNodeContents(th);
      return { cell: th.getBoundingClientRect().width, text: range.getBoundingClientRect().width };
    }));
    const longestKey = Math.max(...widths.map((w) => w.text));
    // The key column is as wide as the longest key plus its padding, not a share of the table.
    for (const w of widths) assert.ok(w.cell <= longestKey + 24, `key cell ${w.cell}px for keys at most ${longestKey}px wide`);
    await v.page.screenshot({ path: join(artifacts, 'overview-metadata-gguf.png'), fullPage: true });
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
  }
});
