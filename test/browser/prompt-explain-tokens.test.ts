// A language model's Explain tab and the side panel in the real webview bundle, with the engine's real explainPrompt
// on the tiny LM (test/support/tiny-lm.py) answering in the test process: a signed heat map over the prompt's tokens
// carrying each token's score, the target and its probability, deletion/insertion curves with their AUCs, the cost,
// Progress/Cancel as the image Explain has them, and the same explanation in small in the side panel.
// Screenshots (light and dark) in test-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { explainPrompt } from '../../src/explain/token-attribution';
import type { PromptExplainParams, PromptExplainResult } from '../../src/protocol/prompt';
import { summarizePromptExplanation } from '../../src/protocol/explain-summary';
import { can } from '../../src/protocol/summary';
import { startHarness, type Harness } from './webview-harness';
import { tinyLm } from '../support/tiny-lm';

const root = resolve(__dirname, '../..');
const artifacts = join(root, 'test-artifacts');
let harness: Harness;
let dir: string;
before(async () => {
  dir = tinyLm();
  mkdirSync(artifacts, { recursive: true });
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const PROMPT = 'red=3 blue=7 green=1 ; blue';
const colourOf = (bg: string) => (/rgba?\((\d+), (\d+), (\d+)/.exec(bg) ?? []).slice(1).map(Number);

for (const theme of ['light', 'dark'] as const) {
  test(`Explain tab of a language model (${theme}): signed token heat map, target, curves, AUCs; side panel`, async () => {
    const path = join(dir, 'model.onnx');
    const model = await openModel(path);
    const summary = summarize(model, statSync(path).size);
    const calls: PromptExplainParams[] = [];
    const results: PromptExplainResult[] = [];
    let pickedTokenizer: string | null = null;
    const v = await harness.open({
      view: 'panel', theme, width: 1000, height: 900,
      handlers: {
        getOverview: () => summary,
        getTokenizer: () => ({ path: pickedTokenizer }),
        explainPrompt: async (params) => {
          calls.push(params);
          const r = await explainPrompt(model, params);
          results.push(r);
          return r;
        },
      },
      onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
    });
    try {
      const { page } = v;
      await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
      await page.locator('[data-tab="explain"]').click();
      await page.locator('#mi-explain-prompt').waitFor({ timeout: 5000 });
      // Gradient methods are offered exactly when the backend has a differentiable form.
      const disabled = await page.locator('#mi-explain-prompt-method option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).disabled]));
      assert.deepEqual(disabled, [['occlusion', false], ['shapley', false], ['gradxinput', !can(summary, 'gradients')], ['ig', !can(summary, 'gradients')]]);

      await page.locator('#mi-explain-prompt').fill(PROMPT);
      await page.locator('#mi-explain-run').click();
      await page.locator('#mi-explain-token-result').waitFor({ timeout: 60_000 });
      assert.deepEqual(calls[0], { prompt: PROMPT, method: 'occlusion' });
      const r = results[0];

      // One chip per prompt token with the engine's score; colour: red for a positive score, blue for a negative
      // one, the most opaque at the largest |score|.
      const chips = await page.locator('#mi-explain-tokens .mi-token').evaluateAll((els) =>
        els.map((e) => ({ text: e.textContent, score: Number(e.getAttribute('data-score')), bg: getComputedStyle(e).backgroundColor })));
      assert.deepEqual(chips.map((c) => c.text), r.tokens.map((t) => t.text));
      assert.deepEqual(chips.map((c) => c.score), r.tokens.map((t) => t.score));
      for (const c of chips) {
        const [red, , blue] = colourOf(c.bg);
        if (c.score > 1e-9) assert.ok(red > blue, `${c.text} (+${c.score}) is drawn red: ${c.bg}`);
        if (c.score < -1e-9) assert.ok(blue > red, `${c.text} (${c.score}) is drawn blue: ${c.bg}`);
      }
      // The most opaque chip is the token with the largest |score| (here the binding the answer is read from).
      const alphaOf = (bg: string) => Number(/rgba\([^)]*,\s*([\d.]+)\)/.exec(bg)?.[1] ?? 1);
      const strongest = chips.reduce((b, c, i) => (alphaOf(c.bg) > alphaOf(chips[b].bg) ? i : b), 0);
      assert.equal(strongest, r.tokens.reduce((b, t, i) => (Math.abs(t.score) > Math.abs(r.tokens[b].score) ? i : b), 0));
      assert.equal(chips[strongest].text, 'blue=7');
      assert.match((await page.locator('#mi-explain-token-target').textContent())!, new RegExp(`"${r.target.text}" \\(#${r.target.id}\\)`));
      // Curves: one point per step (0 … n tokens changed), one polyline each; the AUCs as the engine computed them.
      assert.deepEqual(await page.locator('#mi-explain-curves figure').evaluateAll((fs) => fs.map((f) => [f.getAttribute('data-kind'), Number(f.getAttribute('data-points')),
        (f.querySelector('polyline')!.getAttribute('points') ?? '').trim().split(/\s+/).length])), [['deletion', r.deletion.length, r.deletion.length], ['insertion', r.insertion.length, r.insertion.length]]);
      assert.match((await page.locator('#mi-explain-deletion-auc').textContent())!, new RegExp(`deletion AUC ${r.deletionAuc.toFixed(3)}`));
      assert.match((await page.locator('#mi-explain-insertion-auc').textContent())!, new RegExp(`insertion AUC ${r.insertionAuc.toFixed(3)}`));
      assert.match((await page.locator('#mi-explain-passes').textContent())!, new RegExp(`^${r.passes} forward passes`));
      await page.screenshot({ path: join(artifacts, `lm-explain-${theme}.png`), fullPage: true });

      // An explicit target by id, and Shapley with its permutations, reach the engine as such.
      await page.locator('#mi-explain-prompt-target').fill(`#${r.tokens[1].id}`);
      await page.locator('#mi-explain-prompt-method').selectOption('shapley');
      await page.locator('#mi-explain-prompt-samples').fill('4');
      await page.locator('#mi-explain-run').click();
      await page.locator('#mi-explain-token-result[data-method="shapley"]').waitFor({ timeout: 60_000 });
      assert.deepEqual(calls[1], { prompt: PROMPT, method: 'shapley', target: r.tokens[1].id, samples: 4 });
      assert.equal(results[1].target.id, r.tokens[1].id);
      // A tokenizer.json picked in the Run tab is sent with the explanation too.
      pickedTokenizer = join(dir, 'tokenizer.json');
      await page.locator('#mi-explain-run').click();
      for (let i = 0; i < 300 && results.length < 3; i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(calls.length, 3);
      assert.equal(calls[2].tokenizer, pickedTokenizer);
      assert.deepEqual(v.problems, []);

      // The side panel: the same explanation in small, as the host summarizes it.
      const s = await harness.open({
        view: 'sidebar', theme, width: 360, height: 600, handlers: {},
        onReady: (rpc) => {
          rpc.emit('init', { view: 'sidebar', fileName: 'model.onnx', trusted: true });
          rpc.emit('activeModel', { summary });
          rpc.emit('promptExplanation', summarizePromptExplanation('model.onnx', r));
        },
      });
      try {
        await s.page.locator('#mi-side-prompt-explanation').waitFor({ timeout: 10_000 });
        assert.deepEqual(await s.page.locator('#mi-side-tokens .mi-token').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score')))), r.tokens.map((t) => t.score));
        const text = (await s.page.locator('#mi-side-prompt-explanation').textContent())!;
        assert.match(text, /^occlusion — model\.onnx: target /);
        assert.match(text, new RegExp(`deletion AUC ${r.deletionAuc.toFixed(3)} · insertion AUC ${r.insertionAuc.toFixed(3)}`));
        await s.page.screenshot({ path: join(artifacts, `lm-side-panel-${theme}.png`), fullPage: true });
        assert.deepEqual(s.problems, []);
      } finally {
        await s.close();
      }
    } finally {
      await v.close();
      await model.dispose?.();
    }
  });
}

test('Explain tab of a language model: progress while the engine works, Cancel stops it quietly (status line, no error box)', async () => {
  const path = join(dir, 'model.onnx');
  const model = await openModel(path);
  let outcome: string | undefined;
  const v = await harness.open({
    view: 'panel', theme: 'dark',
    handlers: {
      getOverview: () => summarize(model, statSync(path).size),
      // The real method, with many permutations so it is still running when Cancel comes; its signal is the page's Cancel.
      explainPrompt: async (params, ctx) => {
        try {
          const r = await explainPrompt(model, { ...params, signal: ctx.signal, onProgress: (fraction, message) => ctx.progress({ fraction, message }) });
          outcome = 'finished';
          return r;
        } catch (e) {
          outcome = ctx.signal.aborted ? 'aborted' : `failed: ${(e as Error).message}`;
          throw e;
        }
      },
    },
    onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
  });
  try {
    const { page } = v;
    await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
    await page.locator('[data-tab="explain"]').click();
    await page.locator('#mi-explain-prompt').fill(`${PROMPT} red=3 blue=7 green=1 ; blue red=3 blue=7 green=1 ; blue`);
    await page.locator('#mi-explain-prompt-method').selectOption('shapley');
    await page.locator('#mi-explain-prompt-samples').fill('1000');
    await page.locator('#mi-explain-run').click();
    // A progress line from the engine (not the "starting…" the tab writes itself) before Cancel.
    await page.waitForFunction(() => { const t = document.querySelector('#mi-explain-status')?.textContent ?? ''; return t !== '' && t !== 'starting…'; }, undefined, { timeout: 60_000 });
    await page.locator('#mi-explain-cancel').click();
    await page.locator('#mi-explain-cancel').waitFor({ state: 'hidden', timeout: 30_000 });
    assert.equal(await page.locator('#mi-explain-error').isVisible(), false, 'no error box for a cancel');
    assert.equal((await page.locator('#mi-explain-status').innerText()).trim(), 'Cancelled.');
    assert.equal(await page.locator('#mi-explain-token-result').count(), 0, 'no result drawn');
    for (let i = 0; i < 300 && outcome === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(outcome, 'aborted', 'the engine call saw the cancel');
    assert.deepEqual(v.problems, []);
  } finally {
    await v.close();
    await model.dispose?.();
  }
});
