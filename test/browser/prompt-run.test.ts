// A language model's Run tab in the real webview bundle, with the engine's real runPrompt on the tiny LM
// (test/support/tiny-lm.py) answering in the test process: the prompt's tokens as chips carrying each token's
// log-probability, the next tokens with their probabilities as bars, the greedy continuation, the tokenizer said
// plainly, and a picked tokenizer sent with the next run. Screenshots (light and dark) in test-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../../src/formats/registry';
import { summarize } from '../../src/runtime/summary';
import { runPrompt } from '../../src/runtime/lm/run-prompt';
import type { PromptParams, PromptRunResult } from '../../src/protocol/prompt';
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

for (const theme of ['light', 'dark'] as const) {
  test(`Run tab of a language model (${theme}): token chips, next tokens, continuation, tokenizer`, async () => {
    const path = join(dir, 'model.onnx');
    const model = await openModel(path);
    const picked = join(mkdtempSync(join(tmpdir(), 'mi-tok-')), 'tokenizer.json');
    copyFileSync(join(dir, 'tokenizer.json'), picked);
    const calls: PromptParams[] = [];
    const results: PromptRunResult[] = [];
    const v = await harness.open({
      view: 'panel', theme, width: 1000, height: 1100,
      handlers: {
        getOverview: () => summarize(model, statSync(path).size),
        getRunPrefs: () => null,
        getTokenizer: () => ({ path: null }),
        pickTokenizer: ({ clear }) => ({ path: clear ? null : picked }),
        runPrompt: async (params) => {
          calls.push(params);
          const r = await runPrompt(model, params);
          results.push(r);
          return r;
        },
      },
      onReady: (rpc) => rpc.emit('init', { view: 'panel', fileName: 'model.onnx', trusted: true }),
    });
    try {
      const { page } = v;
      await page.locator('#mi-node-count').waitFor({ timeout: 10_000 });
      await page.locator('[data-tab="run"]').click();
      await page.locator('#mi-prompt-form[data-tokenizer="loaded"]').waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('#mi-prompt-tokenizer').textContent(), 'tokenizer.json beside the model');
      // The tensor form is still there for an ONNX LM, folded away under the prompt.
      assert.equal(await page.locator('#mi-run-tensors').count(), 1);
      assert.equal(await page.locator('#mi-run-inputs').isVisible(), false);

      await page.locator('#mi-prompt-text').fill(PROMPT);
      await page.locator('#mi-prompt-top').fill('5');
      await page.locator('#mi-prompt-generate').fill('3');
      await page.locator('#mi-prompt-run').click();
      await page.locator('#mi-prompt-results').waitFor({ timeout: 60_000 });
      assert.deepEqual(calls[0], { prompt: PROMPT, top: 5, generate: 3 });
      const r = results[0];

      // One chip per token, in order, with the engine's text and log-probability (the first has none).
      const chips = await page.locator('#mi-prompt-tokens .mi-token').evaluateAll((els) =>
        els.map((e) => ({ text: e.textContent, id: Number(e.getAttribute('data-id')), logprob: e.getAttribute('data-logprob'), bg: getComputedStyle(e).backgroundColor })));
      assert.deepEqual(chips.map((c) => c.text), r.tokens.map((t) => t.text));
      assert.deepEqual(chips.map((c) => c.id), r.tokens.map((t) => t.id));
      assert.deepEqual(chips.map((c) => c.logprob), r.tokens.map((t) => (t.logprob === null ? 'null' : String(t.logprob))));
      // A more surprising token is drawn more opaque (the heat map follows −log p).
      const alpha = (bg: string) => Number(/rgba\([^)]*,\s*([\d.]+)\)/.exec(bg)?.[1] ?? (bg === 'rgba(0, 0, 0, 0)' ? 0 : 1));
      const scored = r.tokens.map((t, i) => ({ lp: t.logprob, a: alpha(chips[i].bg) })).filter((x) => x.lp !== null) as { lp: number; a: number }[];
      for (const x of scored) for (const y of scored) if (x.lp < y.lp - 1e-6) assert.ok(x.a >= y.a, `log p ${x.lp} drawn at alpha ${x.a} < ${y.a} of log p ${y.lp}`);

      // The next tokens: the engine's top 5, in order, each with its probability and a bar as wide as it.
      const rows = await page.locator('#mi-prompt-next tr').evaluateAll((trs) => trs.map((tr) => ({
        id: Number(tr.getAttribute('data-id')), p: Number(tr.getAttribute('data-p')), text: tr.querySelector('td')?.textContent,
        bar: (tr.querySelector('.mi-bar') as HTMLElement).getBoundingClientRect().width, col: (tr.querySelector('.mi-bar-col') as HTMLElement).getBoundingClientRect().width })));
      assert.equal(rows.length, 5);
      assert.deepEqual(rows.map((x) => x.id), r.next.map((t) => t.id));
      assert.deepEqual(rows.map((x) => x.p), r.next.map((t) => t.p));
      assert.deepEqual(rows.map((x) => x.text), r.next.map((t) => JSON.stringify(t.text)));
      assert.ok(Math.abs(rows[0].bar / rows[0].col - r.next[0].p) < 0.05, `top bar ${rows[0].bar}/${rows[0].col} for p ${r.next[0].p}`);

      // The greedy continuation: three tokens, each with its probability.
      assert.equal(r.generated?.length, 3);
      assert.deepEqual(await page.locator('#mi-prompt-generated .mi-token').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-p')))), r.generated!.map((t) => t.p));
      const latency = await page.locator('#mi-prompt-latency').textContent();
      assert.match(latency!, /ms for the prompt's 5 tokens/);
      assert.match(latency!, /tokens\/s/);
      assert.equal(await page.locator('#mi-run-provider').getAttribute('data-value'), r.provider);
      assert.equal(await page.locator('#mi-run-skipped li').count(), r.skipped.length);
      await page.screenshot({ path: join(artifacts, `lm-run-${theme}.png`), fullPage: true });

      // A picked tokenizer is named and sent with the next run; "the model's own" drops it again.
      await page.locator('#mi-prompt-tokenizer-pick').click();
      await page.locator('#mi-prompt-tokenizer-clear:not([hidden])').waitFor({ timeout: 5000 });
      assert.equal(await page.locator('#mi-prompt-tokenizer').textContent(), `${picked} (picked)`);
      await page.locator('#mi-prompt-run').click();
      await page.waitForFunction(() => !document.querySelector('#mi-prompt-cancel:not([hidden])'));
      assert.equal(calls.length, 2);
      assert.equal(calls[1].tokenizer, picked);
      await page.locator('#mi-prompt-tokenizer-clear').click();
      await page.locator('#mi-prompt-tokenizer-clear[hidden]').waitFor({ state: 'attached', timeout: 5000 });
      await page.locator('#mi-prompt-run').click();
      await page.waitForFunction(() => !document.querySelector('#mi-prompt-cancel:not([hidden])'));
      assert.equal(calls.length, 3);
      assert.equal(calls[2].tokenizer, undefined);
      assert.deepEqual(v.problems, []);
    } finally {
      await v.close();
      await model.dispose?.();
      rmSync(join(picked, '..'), { recursive: true, force: true });
    }
  });
}
