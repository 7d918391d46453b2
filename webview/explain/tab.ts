import type { Tab, TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import type { ExplainMethod, ExplainParams, ExplainResult } from '../../src/protocol/explain';
import { EXPLAIN_METHODS, explainsImage } from '../../src/protocol/explain';
import { MAX_COMPLETENESS, MAX_RANDOMIZATION_SPEARMAN } from '../../src/protocol/explain-summary';
import { createJob } from '../shell/job';
import { createMethodSettings } from './settings';
import { drawBars, drawMap } from './draw';
import { can, cannotRun } from '../../src/protocol/summary';
import { createPromptExplainForm, renderPromptExplanation, type PromptExplainForm } from './prompt';
import { refreshRunGate } from '../shell/run-gate';

// The Explain tab: pick an input (synthesized, a file path: .npy or image, or an example .npy shipped next to the
// model), a target (top-k of the last explanation or an index), methods and their settings (settings.ts); the engine
// computes small maps, drawn side by side (draw.ts): over the image with an opacity slider, or as bars along a
// non-image input. Quality numbers sit under each map with a one-line meaning.
// Stable DOM ids (the e2e tests use them): mi-explain-source, -file, -target, -m-<method>, -sanity, -run, -cancel,
// -status, -error, -top, -maps, -opacity, -untrusted; each map is a figure.mi-explain-map[data-method].

const MEANINGS: Record<string, string> = {
  deletion: 'score left while the top pixels are removed first: lower = the map found what matters',
  insertion: 'score while the top pixels are put back first: higher = the map found what matters',
  completeness: 'IG attributions vs the score change they should add up to: near 0 is right (> 0.05: more steps)',
  sanity: 'rank correlation with the map after re-randomizing the top layers: should be low (> 0.5: suspicious)',
};

export function createExplainTab(): Tab {
  let ctx: TabContext;
  let last: ExplainResult | undefined;
  const notice = h('p', { id: 'mi-explain-untrusted', class: 'mi-warnings', hidden: true },
    'Explaining runs the model, which is disabled in Restricted Mode: nothing runs until you trust this workspace.');
  const cannot = h('p', { id: 'mi-explain-cannot', class: 'mi-warnings', hidden: true });
  let body: HTMLElement | undefined;
  const source = h('select', { id: 'mi-explain-source', title: 'what to explain' },
    h('option', { value: 'synth' }, 'synthesized input'), h('option', { value: 'file' }, 'file path…'));
  const file = h('input', { id: 'mi-explain-file', type: 'text', placeholder: 'input file (.npy or image)', size: '40', hidden: true });
  let examplesLoaded = false;
  const loadExamples = async () => {
    if (examplesLoaded || !ctx.trusted) return;
    examplesLoaded = true;
    try {
      const { files } = await ctx.rpc.call('explainInputs', {});
      for (const f of files) source.append(h('option', { value: `example:${f}` }, `example: ${f.split(/[\\/]/).pop()}`));
    } catch {
      examplesLoaded = false; // e.g. the model failed to open: try again next time the tab shows
    }
  };
  source.addEventListener('change', () => {
    file.hidden = source.value !== 'file';
  });
  const target = h('input', { id: 'mi-explain-target', type: 'number', min: '0', placeholder: 'target (default: top-1)' });
  const boxes = EXPLAIN_METHODS.map((m) => {
    const box = h('input', { type: 'checkbox', value: m, id: `mi-explain-m-${m}` });
    box.checked = m === 'vanilla' || m === 'gradcam' || m === 'occlusion';
    return { m, box, label: h('label', { class: 'mi-choice' }, box, ` ${m}`) };
  });
  const settings = createMethodSettings();
  const checkedMethods = () => boxes.filter((b) => b.box.checked).map((b) => b.m as ExplainMethod);
  for (const b of boxes) b.box.addEventListener('change', () => settings.show(checkedMethods()));
  settings.show(checkedMethods());
  const sanity = h('input', { type: 'checkbox', id: 'mi-explain-sanity' });
  const opacity = h('input', { id: 'mi-explain-opacity', type: 'range', min: '0', max: '100', value: '60' });
  // Only image maps are drawn over their input: bars have nothing to blend with.
  const opacityControl = h('span', {}, 'overlay opacity ', opacity);
  const runButton = custom('vscode-button', { id: 'mi-explain-run' }, 'Explain');
  const job = createJob('explain', () => refresh());
  const topRow = h('div', { id: 'mi-explain-top', class: 'mi-muted' });
  // Maps of made-up values look like maps of something: say so next to them.
  const synthNote = h('p', { id: 'mi-explain-synth-note', class: 'mi-warnings mi-wrap', hidden: true });
  const grid = h('div', { id: 'mi-explain-maps', class: 'mi-explain-grid' });

  const render = () => {
    if (!last) return;
    const r = last;
    opacityControl.hidden = !r.image;
    const made = (r.inputs ?? []).filter((i) => i.synthesized);
    synthNote.hidden = made.length === 0;
    synthNote.textContent = made.length
      ? `${made.map((i) => `"${i.name}"`).join(', ')} ${made.length > 1 ? 'were' : 'was'} synthesized (${made[0].source}): these maps explain made-up values, not your data. Choose an example or a file (.npy or image) under "input".`
      : '';
    topRow.replaceChildren(`target ${r.target} (score ${r.score.toFixed(3)}) — top: `,
      ...r.top.map((t) => {
        const b = h('a', { href: '#', title: 'explain this index' }, `${t.label ? `${t.label} (#${t.index})` : `#${t.index}`} ${(t.p * 100).toFixed(1)}% `);
        b.addEventListener('click', (e) => {
          e.preventDefault();
          target.value = String(t.index);
          void run();
        });
        return b;
      }));
    grid.replaceChildren(...r.maps.map((m) => {
      const cell = h('figure', { class: 'mi-explain-map', 'data-method': m.method });
      if (m.error) {
        cell.append(h('figcaption', {}, m.method), h('p', { class: 'mi-error mi-wrap' }, m.error));
        return cell;
      }
      const canvas = h('canvas', { class: 'mi-explain-canvas' });
      // Images: a heatmap over the picture; anything else: a bar per element.
      if (r.image) drawMap(canvas, m, r.image, Number(opacity.value) / 100);
      else {
        canvas.classList.add('mi-explain-bars');
        drawBars(canvas, m);
      }
      const line = (value: string, meaning: string, bad = false) =>
        h('div', { class: bad ? 'mi-warnings' : '' }, h('strong', {}, value), h('div', { class: 'mi-muted mi-explain-meaning' }, meaning));
      const q = [
        line(`deletion AUC ${m.deletionAuc.toFixed(3)}`, MEANINGS.deletion),
        line(`insertion AUC ${m.insertionAuc.toFixed(3)}`, MEANINGS.insertion),
      ];
      if (m.completeness !== undefined) q.push(line(`completeness residual ${m.completeness.toExponential(2)}`, MEANINGS.completeness, !(m.completeness <= MAX_COMPLETENESS)));
      if (m.randomizationSpearman !== undefined) q.push(line(`randomization ρ ${m.randomizationSpearman.toFixed(2)}`, MEANINGS.sanity, !(m.randomizationSpearman <= MAX_RANDOMIZATION_SPEARMAN)));
      // The layer goes under the map: a long layer name in the caption would push this map below its neighbours.
      const layerLine = m.layer ? h('div', { class: 'mi-explain-layer mi-wrap' }, `layer ${m.layer}`) : null;
      cell.append(h('figcaption', {}, `${m.method} (${m.signed ? 'signed' : 'magnitude'}, ${m.ms.toFixed(0)} ms)`), canvas, ...(layerLine ? [layerLine] : []), h('div', { class: 'mi-muted' }, ...q));
      return cell;
    }));
  };

  // Grad-CAM needs an image: for any other input it is left unchecked and disabled rather than failing by default.
  let imageChecked = false;
  const gradcamFits = () => {
    const box = boxes.find((b) => b.m === 'gradcam')!.box;
    const image = explainsImage(ctx.summary.inputs ?? []);
    if (image === !box.disabled && imageChecked) return;
    imageChecked = true;
    box.disabled = !image;
    box.parentElement!.title = image ? '' : 'Grad-CAM needs an image input (rank 3 or 4 with 1, 3 or 4 channels)';
    if (!image && box.checked) {
      box.checked = false;
      settings.show(checkedMethods());
    }
  };

  const refresh = () => {
    if (ctx.summary) gradcamFits();
    refreshRunGate({ notice, cannot, body, button: runButton }, ctx.summary, ctx.trusted, job.running);
  };

  // A language model explains a prompt (prompt.ts) instead of an input array.
  let promptForm: PromptExplainForm | undefined;
  const promptResult = h('div', { id: 'mi-explain-token-slot' });
  const explainPrompt = async () => {
    const params = promptForm!.params();
    if ('error' in params) {
      job.status.textContent = params.error;
      return;
    }
    // The tokenizer.json picked in the Run tab (remembered per model by the host), asked each time: it may have changed.
    const picked = await ctx.rpc.call('getTokenizer', {}).then((r) => r.path, () => null);
    if (picked) params.tokenizer = picked;
    await job.run(async ({ signal, onProgress }) => {
      const r = await ctx.rpc.call('explainPrompt', params, { signal, timeoutMs: 0, onProgress });
      promptResult.replaceChildren(renderPromptExplanation(r));
    }, 'starting…');
  };

  const run = async () => {
    refresh();
    if (!ctx.trusted || cannotRun(ctx.summary) || job.running) return;
    if (promptForm) return explainPrompt();
    const methods = checkedMethods();
    if (!methods.length) return;
    const params: ExplainParams = { methods, sanity: sanity.checked };
    const chosen = settings.read(methods);
    if (source.value === 'file' && file.value.trim()) params.inputs = [{ file: file.value.trim() }];
    else if (source.value.startsWith('example:')) params.inputs = [{ file: source.value.slice('example:'.length) }];
    if (target.value !== '') params.target = Number(target.value);
    await job.run(async ({ signal, onProgress }) => {
      if ('error' in chosen) throw new Error(chosen.error);
      if (Object.keys(chosen.options).length) params.options = chosen.options;
      last = await ctx.rpc.call('explain', params, { signal, timeoutMs: 0, onProgress });
      if (last.gradcamLayers) settings.setGradcamLayers(last.gradcamLayers);
      render();
    });
  };

  return {
    id: 'explain',
    title: 'Explain',
    mount(container, c) {
      ctx = c;
      runButton.addEventListener('click', () => void run());
      opacity.addEventListener('input', render);
      if (ctx.summary.lm && can(ctx.summary, 'tokens')) {
        promptForm = createPromptExplainForm(can(ctx.summary, 'gradients'), () => void run());
        container.append(notice, cannot,
          body = h('div', { id: 'mi-explain-body' },
            promptForm.element, h('div', {}, runButton, ' ', job.cancelButton, ' ', job.status), job.error, promptResult));
        refresh();
        return;
      }
      container.append(
        notice, cannot,
        // A model without a runtime shows only why (refresh hides the form).
        body = h('div', { id: 'mi-explain-body' },
          h('div', { class: 'mi-explain-form' },
            h('div', {}, 'input ', source, ' ', file, ' target ', target),
            h('div', {}, ...boxes.map((b) => b.label), h('label', { class: 'mi-choice', title: MEANINGS.sanity }, sanity, ' sanity check')),
            settings.element,
            h('div', {}, runButton, ' ', job.cancelButton, ' ', job.status, ' ', opacityControl)),
          job.error, topRow, synthNote, grid),
      );
      refresh();
      void loadExamples();
    },
    show(arg?: unknown) {
      refresh();
      // The Run tab's "Explain this prompt" hands its prompt over.
      const p = (arg as { prompt?: unknown } | undefined)?.prompt;
      if (promptForm && typeof p === 'string') promptForm.setPrompt(p);
      if (!promptForm) void loadExamples();
    },
  };
}

/** The shell's Explain tab (one per webview). */
export const explainTab: Tab = createExplainTab();
