import type { Tab, TabContext } from '../shell/tab';
import { custom, h } from '../shell/dom';
import { createRunForm } from './form';
import { renderResults } from './results';
import { createActivationsPanel, type ActivationsPanel } from './activations';
import { createProfilePanel, type ProfilePanel } from './profile';
import { createJob } from '../shell/job';
import { cannotRun } from '../../src/protocol/summary';
import { refreshRunGate } from '../shell/run-gate';

/**
 * The Run tab: pick input sources, run the model in the engine, see outputs, top-k, latency and the provider that ran
 * it (with reasons for the ones skipped). Disabled, with the reason shown, while the workspace is not trusted.
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

  const refreshTrust = () => {
    refreshRunGate({ notice, cannot, body, button: runButton }, ctx.summary, ctx.trusted, job.running);
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
      body = h('div', { id: 'mi-run-body' },
        formRef.element, h('p', {}, runButton, ' ', job.cancelButton, ' ', job.status), job.error, results, activations.element, profile.element);
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
