import type { PromptExplainParams, PromptExplainResult, TokenMethod } from '../../src/protocol/prompt';
import { TOKEN_GRADIENT_METHODS, TOKEN_METHODS } from '../../src/protocol/prompt';
import { MAX_COMPLETENESS } from '../../src/protocol/explain-summary';
import { h } from '../shell/dom';
import { legend, percent, signedColour, tokenChips } from '../shell/tokens';

// The Explain tab of a language model: which prompt tokens drove a target next token. A prompt, a target (default:
// the top prediction; or a token's text or id), a method; the result is a signed heat map over the prompt's tokens
// (red raised the target's log-probability, blue lowered it), the target and its probability, deletion and insertion
// curves with their AUCs, the IG completeness residual, the cost (forward passes, time) and the engine's notes.
// Stable DOM ids: mi-explain-prompt, -prompt-target, -prompt-method, -prompt-samples, mi-explain-tokens (chips with
// data-score), -token-target, -curves, -deletion-auc, -insertion-auc, -completeness, -passes, -token-notes.

const METHOD_NAMES: Record<TokenMethod, string> = {
  occlusion: 'occlusion (leave one token out)',
  shapley: 'Shapley value sampling',
  gradxinput: 'gradient × input (embeddings)',
  ig: 'Integrated Gradients (embeddings)',
};

export interface PromptExplainForm {
  readonly element: HTMLElement;
  /** The params to send, or a message saying what is missing. */
  params(): PromptExplainParams | { error: string };
  setPrompt(text: string): void;
}

export function createPromptExplainForm(gradients: boolean, onRun: () => void): PromptExplainForm {
  const prompt = h('textarea', { id: 'mi-explain-prompt', class: 'mi-prompt-text', rows: 3, 'aria-label': 'prompt', placeholder: 'Type a prompt…' });
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      onRun();
    }
  });
  const target = h('input', { id: 'mi-explain-prompt-target', type: 'text', size: 16, placeholder: 'top prediction', 'aria-label': 'target token: its text or #id' });
  const method = h('select', { id: 'mi-explain-prompt-method', 'aria-label': 'method' }, TOKEN_METHODS.map((m) => {
    const needsGrad = TOKEN_GRADIENT_METHODS.includes(m);
    return h('option', { value: m, disabled: needsGrad && !gradients, title: needsGrad && !gradients ? 'needs a differentiable form of the model: its backend has none' : undefined },
      METHOD_NAMES[m] + (needsGrad && !gradients ? ' — not for this backend' : ''));
  }));
  const samples = h('input', { id: 'mi-explain-prompt-samples', type: 'number', min: 1, max: 1000, step: 1, 'aria-label': 'samples or steps' });
  const samplesLabel = h('label', { class: 'mi-choice' });
  const showSamples = () => {
    const m = method.value as TokenMethod;
    samplesLabel.hidden = m !== 'shapley' && m !== 'ig';
    samples.placeholder = m === 'shapley' ? '16' : '32';
    samplesLabel.replaceChildren(m === 'shapley' ? 'permutations ' : 'steps ', samples);
  };
  method.addEventListener('change', showSamples);
  showSamples();
  const element = h('div', { class: 'mi-explain-form', id: 'mi-explain-prompt-form' },
    prompt,
    h('div', {}, h('label', { class: 'mi-choice' }, 'target ', target), h('label', { class: 'mi-choice' }, 'method ', method), samplesLabel),
    h('div', { class: 'mi-muted' }, 'Target: a token’s text as the tokenizer writes it, or #id; empty explains the model’s top prediction.'));
  return {
    element,
    params() {
      if (prompt.value.trim() === '') return { error: 'Type a prompt first.' };
      const p: PromptExplainParams = { prompt: prompt.value, method: method.value as TokenMethod };
      const t = target.value.trim();
      // "#12" names an id; anything else is a token's text (a bare number is text too: "7" is a token in many vocabularies).
      if (/^#\d+$/.test(t)) p.target = Number(t.slice(1));
      else if (t !== '') p.target = target.value;
      if (!samplesLabel.hidden && samples.value !== '') {
        const n = Number(samples.value);
        if (!Number.isInteger(n) || n < 1 || n > 1000) return { error: `${samplesLabel.textContent?.trim() || 'samples'}: a whole number from 1 to 1000` };
        p.samples = n;
      }
      return p;
    },
    setPrompt(text) {
      prompt.value = text;
    },
  };
}

/** One prompt explanation: the heat map over the tokens, the target, curves with AUCs, completeness, cost, notes. */
export function renderPromptExplanation(r: PromptExplainResult): HTMLElement {
  let max = 1e-12;
  for (const t of r.tokens) max = Math.max(max, Math.abs(t.score));
  const chips = tokenChips('mi-explain-tokens', r.tokens, (t) => signedColour(t.score / max),
    (t, i) => `token ${i} · id ${t.id} · ${JSON.stringify(t.text)} · score ${t.score.toPrecision(4)}`,
    (t) => ({ score: String(t.score) }));
  const quality = [
    line('mi-explain-deletion-auc', `deletion AUC ${r.deletionAuc.toFixed(3)}`, 'target probability while the most-attributed tokens are replaced first: lower = the map found what matters'),
    line('mi-explain-insertion-auc', `insertion AUC ${r.insertionAuc.toFixed(3)}`, 'target probability while they are restored first: higher = the map found what matters'),
  ];
  if (r.completeness !== undefined) {
    quality.push(line('mi-explain-completeness', `completeness residual ${r.completeness.toExponential(2)}`,
      'IG scores vs the log-probability change they should add up to: near 0 is right (> 0.05: more steps)', !(r.completeness <= MAX_COMPLETENESS)));
  }
  return h('div', { id: 'mi-explain-token-result', 'data-method': r.method },
    h('p', { id: 'mi-explain-token-target' }, 'Target ', h('strong', { class: 'mi-mono' }, JSON.stringify(r.target.text)), ` (#${r.target.id}), p ${percent(r.target.p)} after the prompt — `,
      h('span', { class: 'mi-muted' }, `${METHOD_NAMES[r.method]}; scores: change in the target’s log-probability`)),
    chips,
    legend('mi-explain-token-legend', `−${max.toPrecision(3)} lowered it`, [-1, -0.5, 0, 0.5, 1].map(signedColour), `+${max.toPrecision(3)} raised it`, '0'),
    h('div', { class: 'mi-curves', id: 'mi-explain-curves' },
      curve('deletion', r.deletion, r.target.p), curve('insertion', r.insertion, r.target.p)),
    h('div', { class: 'mi-muted' }, ...quality),
    h('p', { class: 'mi-muted', id: 'mi-explain-passes' },
      `${r.passes} forward passes in ${r.ms < 10 ? r.ms.toFixed(1) : r.ms.toFixed(0)} ms on ${r.provider} · removed tokens replaced by ${JSON.stringify(r.baseline.text)} (#${r.baseline.id}) · tokenizer: ${r.tokenizer || 'none: ids only'}`),
    r.notes.length > 0 && h('ul', { id: 'mi-explain-token-notes', class: 'mi-warnings' }, r.notes.map((n) => h('li', { class: 'mi-wrap' }, n))),
  );
}

function line(id: string, value: string, meaning: string, bad = false): HTMLElement {
  return h('div', { id, class: bad ? 'mi-warnings' : '' }, h('strong', {}, value), h('div', { class: 'mi-muted mi-explain-meaning' }, meaning));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A curve of the target's probability over steps (0: nothing changed … n: every token changed), y from 0 to 1. */
function curve(kind: 'deletion' | 'insertion', values: number[], p: number): HTMLElement {
  const W = 220;
  const H = 110;
  const L = 26;
  const B = 18;
  const n = Math.max(1, values.length - 1);
  const x = (i: number) => L + ((W - L - 6) * i) / n;
  const y = (v: number) => 6 + (H - B - 6) * (1 - Math.max(0, Math.min(1, v)));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${kind} curve` });
  root.append(
    svg('line', { x1: L, y1: y(0), x2: W - 6, y2: y(0), class: 'mi-curve-axis' }),
    svg('line', { x1: L, y1: y(0), x2: L, y2: y(1), class: 'mi-curve-axis' }),
    svg('text', { x: 2, y: y(1) + 4, class: 'mi-curve-label' }, '1'),
    svg('text', { x: 2, y: y(0), class: 'mi-curve-label' }, '0'),
    svg('text', { x: L, y: H - 4, class: 'mi-curve-label' }, `0 … ${values.length - 1} tokens ${kind === 'deletion' ? 'replaced' : 'restored'}`),
    svg('line', { x1: L, y1: y(p), x2: W - 6, y2: y(p), class: 'mi-curve-axis', 'stroke-dasharray': '3 3' }),
    svg('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: `mi-curve-line mi-curve-${kind}` }),
  );
  return h('figure', { class: 'mi-curve', 'data-kind': kind, 'data-points': values.length },
    h('figcaption', { class: 'mi-muted' }, `${kind} (target p; dashed: with the whole prompt)`), root);
}
