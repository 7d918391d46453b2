import * as vscode from 'vscode';
import type { HostContext } from './host-context';
import { MODEL_VIEW_TYPE, ModelEditorProvider } from './custom-editor';
import { pickModelFile } from './pick-model';
import { quickInference } from './quick-inference';
import { isModelPath } from './model-files';
import { setServerCommand, setServerTokenCommand } from './servers';
import { MANAGE_TRUST_ACTION, MANAGE_TRUST_COMMAND, restrictedModeMessage } from './trust';

type CommandFactory = (ctx: HostContext) => (...args: unknown[]) => unknown;

/**
 * Every command, by name. A feature that becomes available replaces its one line here
 * (e.g. `'modelInspector.quickInference': (ctx) => (uri) => quickInference(ctx, uri)`).
 */
export const commandTable: Record<string, CommandFactory> = {
  'modelInspector.inspect': (ctx) => (uri) => inspect(ctx, uri),
  'modelInspector.inspectPick': (ctx) => () => inspect(ctx, undefined),
  'modelInspector.quickInference': (ctx) => (uri) => quickInference(ctx, uri),
  'modelInspector.compareWith': () => (uri, selection) => compareWith(uri, selection),
  'modelInspector.explainPrediction': (ctx) => () => (ctx.trusted ? notYet('Explain Prediction') : refuseUntrusted('Explain Prediction')),
  'modelInspector.restartEngine': (ctx) => () => restartEngine(ctx),
  'modelInspector.setServer': (ctx) => (uri) => setServerCommand(ctx, uri),
  'modelInspector.setServerToken': (ctx) => () => setServerTokenCommand(ctx),
  // Test-only, never contributed to menus: registered only when the engine's test hooks are on (e2e crash isolation).
  ...(process.env.MODEL_INSPECTOR_TEST_HOOKS === '1' ? { 'modelInspector.crashEngineForTest': (ctx: HostContext) => () => crashEngineForTest(ctx) } : {}),
};

export function registerCommands(ctx: HostContext): void {
  for (const [name, factory] of Object.entries(commandTable)) ctx.push(vscode.commands.registerCommand(name, factory(ctx)));
}

const isModelUri = (u: vscode.Uri | undefined): u is vscode.Uri => !!u && isModelPath(u.path);

/** The model in the active editor tab (custom editor or a model.json opened as text), if any. */
function activeModelUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return isModelUri(uri) ? uri : undefined;
}

async function inspect(_ctx: HostContext, arg: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (!uri) {
    const path = await pickModelFile('Inspect Model', activeModelUri());
    if (!path) return;
    uri = vscode.Uri.file(path);
  }
  await vscode.commands.executeCommand('vscode.openWith', uri, MODEL_VIEW_TYPE);
}

/**
 * "Compare With…": from the Explorer with two files selected (the first is A), from one file (B is asked for), or
 * from the palette (A is the active model, or asked for). A opens in the inspector on its Compare tab.
 */
async function compareWith(arg: unknown, selection: unknown): Promise<void> {
  const picked = Array.isArray(selection) ? selection.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  let a = picked[0] ?? (arg instanceof vscode.Uri ? arg : activeModelUri());
  let b = picked.length > 1 ? picked[1].fsPath : undefined;
  if (!a) {
    const path = await pickModelFile('Compare: first model');
    if (!path) return;
    a = vscode.Uri.file(path);
  }
  // The dialog starts in A's folder, not on A itself (Enter on a pre-filled A compared the model with itself).
  b ??= await pickModelFile(`Compare ${a.path.split('/').pop()} With`, vscode.Uri.joinPath(a, '..'));
  if (!b) return;
  ModelEditorProvider.compare(a, b);
  await vscode.commands.executeCommand('vscode.openWith', a, MODEL_VIEW_TYPE);
}

/** Restricted Mode: say why nothing runs, and offer the one action that changes it. */
export async function refuseUntrusted(feature: string, file?: string): Promise<void> {
  const pick = await vscode.window.showWarningMessage(restrictedModeMessage(feature, file), MANAGE_TRUST_ACTION);
  if (pick === MANAGE_TRUST_ACTION) await vscode.commands.executeCommand(MANAGE_TRUST_COMMAND);
}

function notYet(what: string): void {
  void vscode.window.showInformationMessage(`${what} is not available yet in this version of Model Inspector.`);
}

/** Kills the engine while a job runs on it; resolves with the error that job got (the crash as callers see it). */
async function crashEngineForTest(ctx: HostContext): Promise<string> {
  const engine = ctx.engine();
  const job = engine.call('sleepForTest', { ms: 60_000 }, { timeoutMs: 0 });
  void engine.call('crashForTest', { afterMs: 200 }, { timeoutMs: 0 }).catch(() => undefined);
  try {
    await job;
    return 'the job finished: the engine did not crash';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

async function restartEngine(ctx: HostContext): Promise<void> {
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Restarting the Model Inspector engine' }, () => ctx.restartEngine());
    ctx.log.info('engine restarted by command');
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.error(`engine restart failed: ${message}`);
    void vscode.window.showErrorMessage(`Model Inspector: the engine could not start: ${message}`);
  }
}
