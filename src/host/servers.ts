import * as vscode from 'vscode';
import type { HostContext } from './host-context';
import type { ServerBinding, ServerSecret } from '../protocol/settings';
import { serverUrl } from '../protocol/settings';
import { pickModelFile } from './pick-model';
import { refuseUntrusted } from './commands';
import { originOf, parseModelRef, parseSecret, secretKey } from './server-settings';

// Inference servers per model file: the two commands that set them up, and the credentials kept in VS Code's
// SecretStorage (the OS keychain), copied into memory for the engine's settings and never into a settings file.

const SETTING = 'servers';
const SECTION = 'modelInspector';

/** Reads the credentials of every configured server's origin into the config's cache; true when any changed. */
export async function loadServerSecrets(ctx: HostContext): Promise<boolean> {
  let changed = false;
  for (const b of Object.values(ctx.config.servers)) {
    const origin = originOf(b.url);
    changed = ctx.config.secrets.set(origin, parseSecret(await ctx.extension.secrets.get(secretKey(origin)))) || changed;
  }
  return changed;
}

/** Keeps the engine's settings in step with SecretStorage and workspace trust (settings changes are watched by extension.ts). */
export function watchServerSecrets(ctx: HostContext): vscode.Disposable[] {
  const refresh = async () => {
    if ((await loadServerSecrets(ctx)) && ctx.engineStarted) await ctx.engine().reconfigure().catch((e: unknown) => ctx.log.warn(`engine settings not applied: ${String(e)}`));
  };
  void refresh();
  return [
    ctx.extension.secrets.onDidChange((e) => {
      if (e.key.startsWith(secretKey(''))) void refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.${SETTING}`)) void refresh();
    }),
    // Servers are withheld in Restricted Mode: trusting the workspace sends them.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await loadServerSecrets(ctx);
      if (ctx.engineStarted) await ctx.engine().reconfigure().catch(() => undefined);
    }),
  ];
}

function modelPathOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri && arg.scheme === 'file') return arg.fsPath;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.uri.scheme === 'file' ? input.uri.fsPath : undefined;
}

/**
 * "Run on Inference Server…": binds a model file to a model on an Open Inference Protocol server (URL, NAME[:VERSION]),
 * remembered in the user's settings; an empty URL unbinds it. Re-open the model to see the new runtime in its Overview.
 */
export async function setServerCommand(ctx: HostContext, arg: unknown): Promise<void> {
  if (!ctx.trusted) return refuseUntrusted('Running on an inference server');
  const path = modelPathOf(arg) ?? (await pickModelFile('Run on Inference Server: model file'));
  if (!path) return;
  const all = { ...(vscode.workspace.getConfiguration(SECTION).get<Record<string, ServerBinding>>(SETTING) ?? {}) };
  const old = all[path];
  const url = await vscode.window.showInputBox({
    title: `Inference server for ${path.split(/[\\/]/).pop()}`,
    prompt: 'Open Inference Protocol (KServe v2) server URL, e.g. https://triton.example.com:8000. Empty: run it here again.',
    value: old?.url ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? undefined : serverUrl(v.trim(), 'the URL')),
  });
  if (url === undefined) return;
  if (url.trim() === '') {
    delete all[path];
  } else {
    const ref = await vscode.window.showInputBox({
      title: 'Model on the server',
      prompt: 'NAME or NAME:VERSION as the server serves it',
      value: old ? `${old.model}${old.version ? `:${old.version}` : ''}` : path.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, ''),
      ignoreFocusOut: true,
      validateInput: (v) => (parseModelRef(v) ? undefined : 'a name without spaces or slashes, optionally :VERSION'),
    });
    if (ref === undefined) return;
    all[path] = { ...old, url: url.trim().replace(/\/+$/, ''), ...parseModelRef(ref)! };
    if (!parseModelRef(ref)!.version) delete all[path].version;
  }
  await vscode.workspace.getConfiguration(SECTION).update(SETTING, all, vscode.ConfigurationTarget.Global);
  if (all[path] && !ctx.config.secrets.forServers({ [path]: all[path] })[originOf(all[path].url)]) {
    const pick = await vscode.window.showInformationMessage(`Model Inspector: ${path.split(/[\\/]/).pop()} runs on ${all[path].url}. Does the server need a token?`, 'Set Token…');
    if (pick) await setServerTokenCommand(ctx, all[path].url);
  }
}

/** "Set Inference Server Token…": a bearer token or a custom header for one server origin, into SecretStorage. */
export async function setServerTokenCommand(ctx: HostContext, preset?: unknown): Promise<void> {
  if (!ctx.trusted) return refuseUntrusted('Inference server tokens');
  const known = [...new Set(Object.values(ctx.config.servers).map((b) => originOf(b.url)))];
  let origin = typeof preset === 'string' ? originOf(preset) : undefined;
  if (!origin) {
    const typed = known.length
      ? (await vscode.window.showQuickPick([...known, 'Another server…'], { title: 'Token for which server?' }))
      : 'Another server…';
    if (!typed) return;
    const url = typed === 'Another server…' ? await vscode.window.showInputBox({ title: 'Server URL', validateInput: (v) => serverUrl(v.trim(), 'the URL'), ignoreFocusOut: true }) : typed;
    if (!url) return;
    origin = originOf(url.trim());
  }
  const kind = await vscode.window.showQuickPick(
    [{ label: 'Bearer token', description: 'Authorization: Bearer …', header: 'authorization' }, { label: 'Custom header…', description: 'e.g. x-api-key', header: '' }, { label: 'Remove the stored credential', description: origin, header: '-' }],
    { title: `Credential for ${origin}` },
  );
  if (!kind) return;
  if (kind.header === '-') {
    await ctx.extension.secrets.delete(secretKey(origin));
    return;
  }
  const header = kind.header || (await vscode.window.showInputBox({ title: 'Header name', validateInput: (v) => (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? undefined : 'a header name'), ignoreFocusOut: true }));
  if (!header) return;
  const value = await vscode.window.showInputBox({ title: `${kind.header ? 'Bearer token' : header} for ${origin}`, password: true, ignoreFocusOut: true, prompt: 'Kept in VS Code\'s secret storage; sent to this origin only' });
  if (!value) return;
  const secret: ServerSecret = { header: header.toLowerCase(), value: kind.header ? `Bearer ${value.trim()}` : value.trim() };
  await ctx.extension.secrets.store(secretKey(origin), JSON.stringify(secret));
  ctx.log.info(`stored a credential for ${origin} (${secret.header})`); // never the value
}
