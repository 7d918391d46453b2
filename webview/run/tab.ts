import type { Tab, TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { createRunForm } from './form';
import { renderResults } from './results';
import { createActivationsPanel, type ActivationsPanel } from './activations';
import { createProfilePanel, type ProfilePanel } from './profile';
import { createJob } from '../shell/job';
import { can, cannotRun } from '../../src/protocol/summary';
import { createPromptForm, renderPromptResult, type PromptForm } from './prompt';
import { refreshRunGate } from '../shell/run-gate';

/**
 * The Run tab: pick input sources, run the model in the engine, see outputs, top-k, latency and the provider that ran
 * it (with reasons for the ones skipped). Disabled, with the reason shown, while the workspace is not trusted.
 * A language model (summary.lm, a backend with the tokens capability) gets a prompt box first (prompt.ts); its tensor
 * form, when its backend also runs tensors, stays below under "Tensor inputs"; a GGUF (tokens only) has no tensor form.
 */
export function createRunTab(): Tab {
  let ctx: TabContext;
  const notice = h('p', { id: 'mi-run-untrusted', class: 'mi-warnings', hidden: true },
    'Running models is disabled in Restricted Mode: this workspace is not trusted. Model files can make the runtime ',
    'read other files (external data) and use a lot of memory, so trust the workspace to run inference.');
  const cannot = h('p', { id: 'mi-run-cannot', class: 'mi-warnings', hidden: true });
  const runButton = custom('vscode-button', { id: 'mi-run-button' }, 'Run');
  const job = createJob('run', () => refreshTrust());
  const results = h('div', { id: 'mi-run-results-slot' });
  let body: HTMLElement | undefined;
  const promptButton = custom('vscode-button', { id: 'mi-prompt-run' }, 'Run');
  const promptJob = createJob('prompt', () => refreshTrust());
  const promptResults = h('div', { id: 'mi-prompt-results-slot' });
  let prompt: PromptForm | undefined;

  const refreshTrust = () => {
    const busy = job.running || promptJob.running;
    refreshRunGate({ notice, cannot, body, button: runButton }, ctx.summary, ctx.trusted, busy);
    promptButton.toggleAttribute('disabled', runButton.hasAttribute('disabled'));
    activations?.refreshTrust();
    profile?.refreshTrust();
  };

  const run = async () => {
    refreshTrust();
    if (!ctx.trusted || cannotRun(ctx.summary) || job.running) return;
    const form = formRef!;
    await job.run(async ({ signal, onProgress }) => {
      const params = form.params();
      // A big model on CPU may take minutes: no timeout; the user has Cancel.
      const summary = await ctx.rpc.call('run', params, { signal, timeoutMs: 0, onProgress });
      results.replaceChildren(renderResults(summary));
      // What ran is what the user confirmed: remember it for this model (best effort; the run already succeeded).
      ctx.rpc.call('setRunPrefs', { prefs: params }).catch(() => undefined);
    }, 'starting…');
  };
  const runPrompt = async () => {
    refreshTrust();
    if (!ctx.trusted || cannotRun(ctx.summary) || job.running || promptJob.running || !prompt) return;
    const params = prompt.params();
    if (!params) {
      promptJob.status.textContent = 'Type a prompt first.';
      return;
    }
    await promptJob.run(async ({ signal, onProgress }) => {
      const r = await ctx.rpc.call('runPrompt', params, { signal, timeoutMs: 0, onProgress });
      const explain = h('a', { href: '#', id: 'mi-prompt-explain' }, 'Explain which tokens drove the top prediction…');
      explain.addEventListener('click', (e) => {
        e.preventDefault();
        ctx.navigate('explain', { prompt: params.prompt });
      });
      promptResults.replaceChildren(renderPromptResult(r), h('p', {}, explain));
    }, 'running…');
  };
  let formRef: ReturnType<typeof createRunForm> | undefined;
  let activations: ActivationsPanel | undefined;
  let profile: ProfilePanel | undefined;
  /** `navigate('run', {activation})` from the graph sidebar. */
  const pickFrom = (arg: unknown) => {
    const v = (arg as { activation?: unknown } | undefined)?.activation;
    if (typeof v === 'string') activations?.pick(v);
  };

  /** Remembered inputs pre-fill the form; `data-prefs` says when that is settled (tests wait on it). */
  const loadPrefs = async (form: ReturnType<typeof createRunForm>, el: HTMLElement) => {
    try {
      const prefs = await ctx.rpc.call('getRunPrefs', {});
      if (prefs) form.apply(prefs);
      el.dataset.prefs = prefs ? 'loaded' : 'none';
    } catch {
      el.dataset.prefs = 'none'; // a host without prefs (or an older one): the defaults stand
    }
  };

  return {
    id: 'run',
    title: 'Run',
    mount(container, c) {
      ctx = c;
      formRef = createRunForm(ctx.summary.inputs);
      runButton.addEventListener('click', () => void run());
      // The shell updates ctx.trusted on the same event; read it after its handler ran.
      ctx.rpc.on('trust', () => queueMicrotask(refreshTrust));
      const form = formRef;
      activations = createActivationsPanel(ctx, () => form.params());
      profile = createProfilePanel(ctx, () => form.params());
      // A model without a runtime shows only why: no form, and no Profile/activation buttons that could not work.
      const tensorPart = [formRef.element, h('p', {}, runButton, ' ', job.cancelButton, ' ', job.status), job.error, results, activations.element, profile.element];
      const lm = ctx.summary.lm && can(ctx.summary, 'tokens') ? ctx.summary.lm : undefined;
      if (lm) {
        prompt = createPromptForm(ctx.rpc, lm, () => void runPrompt());
        promptButton.addEventListener('click', () => void runPrompt());
        const tensors = can(ctx.summary, 'tensors');
        body = h('div', { id: 'mi-run-body' },
          prompt.element, h('p', {}, promptButton, ' ', promptJob.cancelButton, ' ', promptJob.status), promptJob.error, promptResults,
          // The same model as arrays (random ids, .npy files), for its raw logits, activations and profile.
          tensors && h('details', { class: 'mi-section', id: 'mi-run-tensors' }, h('summary', {}, 'Tensor inputs (ids as arrays: raw outputs, activations, profile)'), ...tensorPart));
        void prompt.load();
      } else {
        body = h('div', { id: 'mi-run-body' }, ...tensorPart);
      }
      container.replaceChildren(h('div', { class: 'mi-overview mi-run' }, notice, cannot, body));
      refreshTrust();
      void loadPrefs(form, formRef.element);
    },
    show(arg?: unknown) {
      refreshTrust();
      pickFrom(arg);
    },
  };
}
