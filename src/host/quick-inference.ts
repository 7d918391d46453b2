import * as vscode from 'vscode';
import { open as openFile } from 'node:fs/promises';
import type { RunSummary } from '../protocol/run';
import { RpcError } from '../protocol/wire';
import type { HostContext } from './host-context';
import { MODEL_VIEW_TYPE } from './custom-editor';
import { rememberedRunDefaults } from './run-prefs';
import {
  ARRAY_EXTENSIONS, IMAGE_EXTENSIONS, describeRun, headline, inputOptions, orderCandidates, promptHeadline, quickRunParams, type InputChoice,
} from './quick-inference-plan';
import { can, type ModelSummary } from '../protocol/summary';
import { MAX_PROMPT_CHARS, type PromptRunResult } from '../protocol/prompt';
import { isModelPath, isRunnable, runnableGlobs } from './model-files';
import { pickModelFile } from './pick-model';
import { MANAGE_TRUST_ACTION, MANAGE_TRUST_COMMAND, restrictedModeMessage } from './trust';

// "Quick Inference": one run of a model from the Explorer or the palette, without opening the Run tab. Pick a model
// (active / workspace / file dialog) and an input (synthesized / image / array file / the Run tab's remembered
// inputs); the engine runs it under a cancellable progress notification; the answer is a notification (top-k or an
// output summary) with "Open in Panel", and the details go to the output channel. A language model (its summary has
// `lm` and its backend the tokens capability) asks for a prompt instead and shows the next tokens.

function activeModel(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri && isModelPath(uri.path) ? uri : undefined;
}

const fileName = (u: vscode.Uri) => u.path.split('/').pop() ?? u.fsPath;

/** The first 4 KB of a file on disk (a model.json may hold megabytes of topology; only its keys matter). */
async function head(path: string): Promise<string> {
  const fh = await openFile(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The workspace's files of the formats a runtime executes (shared file names, like model.json, checked by their head). */
async function workspaceModels(): Promise<vscode.Uri[]> {
  const found = await Promise.all(runnableGlobs().map(async ({ glob, needsHead }) => {
    const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**', 200);
    if (!needsHead) return uris;
    const kept = await Promise.all(uris.map(async (u) => (u.scheme === 'file' && isRunnable(u.path, await head(u.fsPath).catch(() => '')) ? u : undefined)));
    return kept.filter((u): u is vscode.Uri => !!u);
  }));
  return found.flat();
}

async function pickModel(): Promise<vscode.Uri | undefined> {
  const active = activeModel();
  const found = await workspaceModels();
  const byKey = new Map<string, vscode.Uri>([...found, ...(active ? [active] : [])].map((u) => [u.toString(), u]));
  const ordered = orderCandidates(active?.toString(), found.map((u) => u.toString())).map((k) => byKey.get(k)!);
  type Item = vscode.QuickPickItem & { uri?: vscode.Uri };
  const items: Item[] = ordered.map((u) => ({
    label: `$(file) ${vscode.workspace.asRelativePath(u)}`,
    description: u.toString() === active?.toString() ? 'active editor' : undefined,
    uri: u,
  }));
  items.push({ label: '$(folder-opened) Browse…', description: 'choose a model file' });
  const pick = await vscode.window.showQuickPick(items, { title: 'Quick Inference: model', placeHolder: 'Model to run', matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const chosen = await pickModelFile('Run Model', undefined, { runnable: true });
  return chosen ? vscode.Uri.file(chosen) : undefined;
}

async function pickInput(remembered: ReturnType<typeof rememberedRunDefaults>): Promise<InputChoice | undefined> {
  const options = inputOptions(remembered.inputs);
  const pick = await vscode.window.showQuickPick(options.map((o) => ({ label: o.label, description: o.description, o })), { title: 'Quick Inference: input', placeHolder: 'Values to feed' });
  if (!pick) return undefined;
  const c = pick.o.choice;
  if (c.kind === 'image' || c.kind === 'array') {
    const filters: Record<string, string[]> = c.kind === 'image' ? { Images: IMAGE_EXTENSIONS } : { Arrays: ARRAY_EXTENSIONS };
    const file = (await vscode.window.showOpenDialog({ title: `Quick Inference: ${c.kind} file`, openLabel: 'Use', canSelectMany: false, filters }))?.[0];
    if (!file) return undefined;
    if (file.scheme !== 'file') {
      void vscode.window.showErrorMessage(`${fileName(file)}: is not a file on disk (${file.scheme}: URIs are not supported)`);
      return undefined;
    }
    return { kind: c.kind, file: file.fsPath };
  }
  return c;
}

export async function quickInference(ctx: HostContext, arg: unknown): Promise<void> {
  // Refused before anything is picked: running executes the model file (native runtimes, custom ops).
  if (!ctx.trusted) {
    const pick = await vscode.window.showWarningMessage(restrictedModeMessage('Quick Inference', arg instanceof vscode.Uri ? fileName(arg) : undefined), MANAGE_TRUST_ACTION);
    if (pick === MANAGE_TRUST_ACTION) await vscode.commands.executeCommand(MANAGE_TRUST_COMMAND);
    return;
  }
  const uri = arg instanceof vscode.Uri ? arg : await pickModel();
  if (!uri) return;
  const file = fileName(uri);
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`${file}: is not a file on disk (${uri.scheme}: URIs are not supported)`);
    return;
  }
  let summary: RunSummary | undefined;
  let promptResult: PromptRunResult | undefined;
  try {
    // The summary says whether this is a language model (a prompt) or a tensor model (an input source).
    const opened = await withProgress(`Opening ${file}`, (signal) => ctx.engine().call('open', { path: uri.fsPath }, { signal, timeoutMs: 0 }));
    const lm = opened.summary.lm && can(opened.summary, 'tokens');
    try {
      if (lm) {
        promptResult = await promptQuick(ctx, uri, file, opened);
        if (!promptResult) return;
      } else {
        const remembered = rememberedRunDefaults(ctx.state, uri.fsPath);
        const choice = await pickInput(remembered);
        if (!choice) return;
        const params = quickRunParams(choice, remembered);
        ctx.log.info(`quick inference on ${uri.fsPath}: ${JSON.stringify(params)}`);
        summary = await runWithProgress(ctx, opened.modelId, file, params);
      }
    } finally {
      await ctx.engine().call('close', { modelId: opened.modelId }).catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof RpcError && e.code === 'cancelled') {
      ctx.log.info(`quick inference on ${file} cancelled`);
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.error(`quick inference on ${file} failed: ${message}`);
    void vscode.window.showErrorMessage(message.startsWith(`${file}:`) ? message : `${file}: ${message}`);
    return;
  }
  if (promptResult) {
    ctx.log.info(`quick inference on ${file}: ${JSON.stringify({ tokens: promptResult.tokens, next: promptResult.next, provider: promptResult.provider, latencyMs: promptResult.latencyMs })}`);
    await announce(ctx, uri, promptHeadline(file, promptResult));
    return;
  }
  ctx.log.info(describeRun(file, summary!));
  await announce(ctx, uri, headline(file, summary!));
}

async function announce(ctx: HostContext, uri: vscode.Uri, text: string): Promise<void> {
  const openPanel = 'Open in Panel';
  const details = 'Show Details';
  const pick = await vscode.window.showInformationMessage(text, openPanel, details);
  if (pick === openPanel) await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_VIEW_TYPE);
  else if (pick === details) ctx.log.show(true);
}

/** Runs `work` under a cancellable notification; Cancel aborts its signal. */
function withProgress<T>(title: string, work: (signal: AbortSignal, report: (message: string) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      return await work(abort.signal, (message) => progress.report({ message }));
    } finally {
      sub.dispose();
    }
  });
}

/** A language model: asks for a prompt and runs it on the opened model; undefined when cancelled. */
async function promptQuick(ctx: HostContext, uri: vscode.Uri, file: string, opened: { modelId: string; summary: ModelSummary }): Promise<PromptRunResult | undefined> {
  const tokenizer = ctx.state.get('tokenizer', uri.fsPath) ?? undefined;
  const prompt = await vscode.window.showInputBox({
    title: `Quick Inference: prompt for ${file}`,
    prompt: opened.summary.lm?.tokenizer || tokenizer ? `Text to continue (tokenizer: ${tokenizer ?? opened.summary.lm?.tokenizer})` : 'Token ids separated by spaces (this model has no tokenizer)',
    placeHolder: 'The capital of France is',
    validateInput: (v) => (v.length > MAX_PROMPT_CHARS ? `at most ${MAX_PROMPT_CHARS} characters` : v.trim() === '' ? 'type a prompt' : undefined),
  });
  if (prompt === undefined) return undefined;
  return withProgress(`Running ${file}`, (signal, report) => ctx.engine().call('runPrompt', { modelId: opened.modelId, prompt, top: 5, ...(tokenizer ? { tokenizer } : {}) }, {
    signal, timeoutMs: 0, onProgress: (p) => report(p.message ?? ''),
  }));
}

function runWithProgress(ctx: HostContext, modelId: string, file: string, params: ReturnType<typeof quickRunParams>): Thenable<RunSummary> {
  const engine = ctx.engine();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Running ${file}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        let last = 0;
        return await engine.call('run', { ...params, modelId }, {
          signal: abort.signal,
          timeoutMs: 0, // a big model on CPU may take minutes; the notification has Cancel
          onProgress: (p) => {
            const f = p.fraction ?? last;
            progress.report({ message: p.message, increment: Math.max(0, (f - last) * 100) });
            last = f;
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
}
