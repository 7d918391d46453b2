// A language model in code-server: a prompt typed in the Run tab shows its tokens and the next tokens, the Explain
// tab draws the token heat map, and the side panel shows that explanation. Every wait is on an element (a signal),
// never a sleep; the numbers checked are the ones the page carries (data-*), against what the engine computes in
// the test process (`expected`).
import { ok, strictEqual } from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { eventually, shot } from '../driver/harness';
import type { Workbench } from '../driver/workbench';

export interface PromptExpectation {
  prompt: string;
  /** The next tokens' ids, most likely first, and the token the occlusion map should rank highest (by text). */
  next: number[];
  strongest?: string;
  /** Screenshot name prefix. */
  prefix: string;
  /** Run tab only (e.g. a backend that has no explain path exercised here). */
  runOnly?: boolean;
  /** A backend without the tensors capability (llama.cpp): the Run tab has no tensor form at all. */
  tokensOnly?: boolean;
}

export async function languageModelScenario(page: Page, wb: Workbench, model: string, want: PromptExpectation): Promise<{ sideText: string }> {
  await wb.quickOpen(model);
  await wb.webview().locator('#mi-title').waitFor({ timeout: 60_000 });
  await wb.openTab('run');
  const wv = wb.webview();
  // The prompt box, or the reason the model cannot run here (e.g. llama.cpp missing from the build): say which.
  const cannot = wv.locator('#mi-run-cannot');
  ok(await eventually(async () => (await wv.locator('#mi-prompt-text').isVisible()) || (await cannot.isVisible()), 30_000), 'the Run tab shows no prompt box');
  if (await cannot.isVisible()) throw new Error(`the Run tab says the model cannot run: ${await cannot.innerText()}`);
  await wv.locator('#mi-prompt-text').fill(want.prompt);
  await wv.locator('#mi-prompt-top').fill('5');
  await wv.locator('#mi-prompt-generate').fill('2');
  await wv.locator('#mi-prompt-run').click();
  const next = wv.locator('#mi-prompt-next tr');
  const failed = wv.locator('#mi-prompt-error');
  ok(await eventually(async () => (await next.count()) > 0 || (await failed.isVisible()), 120_000), 'the prompt run showed no next tokens');
  if (await failed.isVisible()) throw new Error(`the prompt run failed: ${await failed.innerText()}`);
  const ids = await next.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))));
  strictEqual(ids.join(','), want.next.join(','), 'next tokens shown vs the engine in the test process');
  if (want.tokensOnly) strictEqual(await wv.locator('#mi-run-tensors, #mi-run-inputs').count(), 0, 'a tokens-only backend shows no tensor form');
  const chips = await wv.locator('#mi-prompt-tokens .mi-token').count();
  ok(chips > 0, 'no prompt token chips');
  const provider = (await wv.locator('#mi-run-provider').getAttribute('data-value')) ?? '';
  const latency = (await wv.locator('#mi-prompt-latency').innerText()).trim();
  console.log(`  ${model}: ${chips} tokens, next ${ids.join(',')}, provider ${provider}; ${latency}`);
  await shot(page, `${want.prefix}-run.png`);
  if (want.runOnly) return { sideText: '' };

  // "Explain which tokens drove the top prediction…" carries the prompt over to the Explain tab.
  await wv.locator('#mi-prompt-explain').click();
  await wv.locator('#mi-explain-prompt').waitFor({ timeout: 10_000 });
  strictEqual(await wv.locator('#mi-explain-prompt').inputValue(), want.prompt, 'the prompt carried over from Run');
  await wv.locator('#mi-explain-run').click();
  const map = wv.locator('#mi-explain-tokens .mi-token');
  const error = wv.locator('#mi-explain-error');
  ok(await eventually(async () => (await map.count()) > 0 || (await error.isVisible()), 120_000), 'no token heat map appeared');
  if (await error.isVisible()) throw new Error(`Explain failed: ${await error.innerText()}`);
  const scored = await map.evaluateAll((els) => els.map((e) => [e.textContent ?? '', Number(e.getAttribute('data-score'))] as const));
  const top = scored.reduce((b, x) => (Math.abs(x[1]) > Math.abs(b[1]) ? x : b));
  if (want.strongest) strictEqual(top[0], want.strongest, `the strongest token of ${JSON.stringify(scored)}`);
  console.log(`  explain: target ${(await wv.locator('#mi-explain-token-target').innerText()).split('—')[0].trim()}; strongest ${top[0]} (${top[1].toFixed(3)})`);
  await shot(page, `${want.prefix}-explain.png`);

  await wb.openSideView();
  const side = wb.sideView().locator('#mi-side-prompt-explanation');
  await side.waitFor({ timeout: 30_000 });
  const sideText = (await side.innerText()).trim();
  strictEqual(await wb.sideView().locator('#mi-side-tokens .mi-token').count(), scored.length, 'side panel token chips');
  await shot(page, `${want.prefix}-side-panel.png`);
  return { sideText };
}

/** Quick Inference on a language model: the model, then a prompt (an input box); the toast lists the next tokens. */
export async function quickInferencePrompt(page: Page, wb: Workbench, opts: { file: string; prompt: string; top: string; screenshot: string }): Promise<string> {
  await wb.runCommand('Model Inspector: Quick Inference');
  await wb.answerQuickInput(opts.file);
  // The prompt is an input box: it has no rows to wait for, only its title.
  await wb.answerInputBox('prompt for', opts.prompt);
  const escaped = opts.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const message = page.locator('.notifications-toasts .notification-list-item-message', { hasText: new RegExp(`^${escaped}: `) }).first();
  await message.waitFor({ timeout: 90_000 });
  const text = (await message.innerText()).trim();
  ok(text.startsWith(`${opts.file}: next token after `), `Quick Inference said "${text}"`);
  ok(text.includes(`: ${JSON.stringify(opts.top)} `), `the top next token ${JSON.stringify(opts.top)} is not first in "${text}"`);
  console.log(`  quick inference: ${text}`);
  // The progress toasts (opening, running) close once the result is in: the screenshot shows the result alone.
  for (const title of [`Opening ${opts.file}`, `Running ${opts.file}`]) {
    await page.locator('.notifications-toasts .notification-list-item-message', { hasText: title }).waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => console.log(`  note: the "${title}" progress toast was still shown 10 s after the result`));
  }
  await shot(page, opts.screenshot);
  return text;
}
