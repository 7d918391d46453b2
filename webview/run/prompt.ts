import type { PromptParams, PromptRunResult } from '../../src/protocol/prompt';
import type { LanguageModelInfo } from '../../src/protocol/summary';
import type { HostRpc } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { legend, percent, surpriseColour, tokenChips } from '../shell/tokens';

// The Run tab of a language model: a prompt box, Top-K and a greedy continuation length; the result shows the
// prompt's tokens coloured by surprise (−log p of each token given the ones before it), the next-token distribution
// as bars, the continuation with each token's probability, latency, tokens/s, what ran and where the tokens came from.
// Stable DOM ids (tests use them): mi-prompt-text, -top, -generate, -tokenizer, -tokenizer-pick, -tokenizer-clear,
// mi-prompt-results, -tokens (chips with data-logprob), -next (rows with data-id/data-p), -generated, -latency.

export interface PromptForm {
  readonly element: HTMLElement;
  /** The tokenizer line and button; undefined params when the prompt is empty. */
  params(): PromptParams | undefined;
  /** Loads the remembered tokenizer choice; `data-tokenizer` on the element says when that is settled. */
  load(): Promise<void>;
}

/** What the summary says about the tokenizer, said plainly. */
export function tokenizerText(source: string | null): string {
  return source ?? 'none: ids only (type token ids separated by spaces, or pick a tokenizer.json)';
}

export function createPromptForm(rpc: HostRpc, lm: LanguageModelInfo, onRun: () => void): PromptForm {
  const text = h('textarea', { id: 'mi-prompt-text', class: 'mi-prompt-text', rows: 4, 'aria-label': 'prompt',
    placeholder: lm.tokenizer ? 'Type a prompt…' : 'Token ids separated by spaces (no tokenizer)…' });
  // Ctrl/Cmd+Enter runs, as in chat boxes; plain Enter is a new line.
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onRun();
    }
  });
  const top = h('input', { type: 'number', id: 'mi-prompt-top', min: 1, max: 100, step: 1, value: 10, 'aria-label': 'next tokens listed' });
  const generate = h('input', { type: 'number', id: 'mi-prompt-generate', min: 0, max: 512, step: 1, value: 0, 'aria-label': 'tokens to continue' });
  let picked: string | null = null;
  const tokenizer = h('span', { id: 'mi-prompt-tokenizer', class: 'mi-wrap' });
  const pick = custom('vscode-button', { id: 'mi-prompt-tokenizer-pick', secondary: true }, 'Tokenizer…');
  const clear = custom('vscode-button', { id: 'mi-prompt-tokenizer-clear', secondary: true, hidden: true }, 'Use the model’s own');
  const showTokenizer = () => {
    tokenizer.textContent = picked ? `${picked} (picked)` : tokenizerText(lm.tokenizer);
    tokenizer.classList.toggle('mi-mono', !!picked);
    clear.hidden = !picked;
  };
  pick.addEventListener('click', () => {
    void rpc.call('pickTokenizer', {}).then((r) => {
      if (r) picked = r.path;
      showTokenizer();
    }, () => undefined);
  });
  clear.addEventListener('click', () => {
    void rpc.call('pickTokenizer', { clear: true }).then(() => {
      picked = null;
      showTokenizer();
    }, () => undefined);
  });
  showTokenizer();
  const context = lm.contextLength ? ` · context ${lm.contextLength} tokens` : '';
  const element = h('section', { class: 'mi-section mi-prompt-form', id: 'mi-prompt-form' },
    h('h2', {}, 'Prompt'),
    text,
    h('p', { class: 'mi-prompt-options' }, h('label', {}, 'Top-K ', top), ' ', h('label', {}, 'Continue ', generate, ' tokens (greedy)'),
      h('span', { class: 'mi-muted' }, `  ${lm.kind === 'masked' ? 'masked LM: predicts the mask token' : 'causal LM'}${lm.vocabSize ? ` · vocabulary ${lm.vocabSize}` : ''}${context}`)),
    h('p', {}, 'Tokenizer: ', tokenizer, ' ', pick, ' ', clear));
  return {
    element,
    params() {
      if (text.value.trim() === '') return undefined;
      const p: PromptParams = { prompt: text.value, top: clampInt(top.value, 1, 100, 10), generate: clampInt(generate.value, 0, 512, 0) };
      if (picked) p.tokenizer = picked;
      return p;
    },
    async load() {
      try {
        picked = (await rpc.call('getTokenizer', {})).path;
      } catch {
        picked = null; // an older host: the model's own tokenizer
      }
      showTokenizer();
      element.dataset.tokenizer = 'loaded';
    },
  };
}

const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;

/** One prompt run: tokens by surprise, next tokens, continuation, timing, provider, skipped providers, tokenizer. */
export function renderPromptResult(r: PromptRunResult): HTMLElement {
  // Surprise is drawn against a uniform guess over the vocabulary (ln V nats): full colour = as surprised as that.
  const uniform = Math.log(Math.max(2, r.vocabSize));
  const chips = tokenChips('mi-prompt-tokens', r.tokens,
    (t) => (t.logprob === null ? 'transparent' : surpriseColour(-t.logprob / uniform)),
    (t) => `id ${t.id} · ${JSON.stringify(t.text)} · ${t.logprob === null ? (r.kind === 'masked' ? 'no log-probability (masked model)' : 'first token: nothing before it to predict it') : `log p ${t.logprob.toFixed(3)} (p ${percent(Math.exp(t.logprob))})`}`,
    (t) => ({ logprob: t.logprob === null ? 'null' : String(t.logprob) }));
  const scored = r.tokens.filter((t) => t.logprob !== null) as { logprob: number }[];
  const meanSurprise = scored.length ? -scored.reduce((s, t) => s + t.logprob, 0) / scored.length : undefined;
  return h('div', { id: 'mi-prompt-results', class: 'mi-run-results' },
    h('dl', { class: 'mi-facts' },
      h('dt', {}, 'Provider'), h('dd', {}, h('span', { id: 'mi-run-provider', class: 'mi-mono', 'data-value': r.provider }, r.provider)),
      h('dt', {}, 'Latency'), h('dd', { id: 'mi-prompt-latency', 'data-ms': r.latencyMs },
        `${ms(r.latencyMs)} for the prompt's ${r.tokens.length} tokens (one forward pass)`,
        r.generateMs !== undefined && r.generated && `; continuation ${r.generated.length} tokens in ${ms(r.generateMs)}`,
        r.tokensPerSecond !== undefined && ` (${r.tokensPerSecond.toFixed(1)} tokens/s)`),
      h('dt', {}, 'Tokenizer'), h('dd', { id: 'mi-prompt-tokenizer-used' }, r.tokenizer || 'none: ids only'),
    ),
    r.skipped.length > 0 && h('section', { class: 'mi-section' }, h('h2', {}, 'Skipped providers'),
      h('ul', { id: 'mi-run-skipped', class: 'mi-side-list' }, r.skipped.map((k) =>
        h('li', { 'data-provider': k.provider }, h('span', { class: 'mi-mono' }, k.provider), ': ', h('span', { class: 'mi-wrap' }, k.reason))))),
    h('section', { class: 'mi-section' }, h('h2', {}, `Prompt tokens (${r.tokens.length})`),
      chips,
      r.kind === 'causal'
        ? legend('mi-prompt-legend', 'expected (−log p = 0)', [0, 0.25, 0.5, 0.75, 1].map(surpriseColour), `surprised (≥ ${uniform.toFixed(2)} nats, a uniform guess over ${r.vocabSize})`)
        : h('p', { class: 'mi-muted' }, 'A masked model scores no prompt token: the prediction is at the mask.'),
      meanSurprise !== undefined && h('p', { class: 'mi-muted', id: 'mi-prompt-perplexity' },
        `mean −log p ${meanSurprise.toFixed(3)} nats over ${scored.length} predicted tokens (perplexity ${compact(Math.exp(meanSurprise))})`)),
    h('section', { class: 'mi-section' }, h('h2', {}, r.kind === 'masked' ? `At the mask (token ${r.position})` : 'Next token'),
      h('table', { class: 'mi-table mi-ops mi-next-table', id: 'mi-prompt-next' }, h('tbody', {}, r.next.map((t) =>
        h('tr', { 'data-id': t.id, 'data-p': t.p },
          h('td', { class: 'mi-mono' }, JSON.stringify(t.text)),
          h('td', { class: 'mi-muted mi-num' }, `#${t.id}`),
          h('td', { class: 'mi-num' }, percent(t.p)),
          h('td', { class: 'mi-bar-col' }, bar(t.p))))))),
    r.generated && r.generated.length > 0 && h('section', { class: 'mi-section' }, h('h2', {}, `Greedy continuation (${r.generated.length} tokens)`),
      tokenChips('mi-prompt-generated', r.generated, () => 'transparent',
        (t) => `id ${t.id} · ${JSON.stringify(t.text)} · p ${percent(t.p)} (the most likely token at its step)`,
        (t) => ({ p: String(t.p) })),
      h('p', { class: 'mi-muted' }, r.generated.map((t) => percent(t.p)).join(' · '))),
    r.notes.length > 0 && h('ul', { id: 'mi-prompt-notes', class: 'mi-warnings' }, r.notes.map((n) => h('li', { class: 'mi-wrap' }, n))),
  );
}

function bar(p: number): HTMLElement {
  const el = h('div', { class: 'mi-bar', 'data-p': p.toFixed(4) });
  el.style.width = `${Math.max(1, 100 * p)}%`; // CSSOM: the CSP allows no inline style attributes
  return el;
}

function clampInt(text: string, min: number, max: number, fallback: number): number {
  const v = Number(text);
  return Number.isInteger(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

/** A positive number in at most 4 significant digits, large ones in exponent form (a random model's perplexity is 1e6). */
function compact(x: number): string {
  return x >= 1e4 ? x.toExponential(2) : x.toPrecision(4);
}
