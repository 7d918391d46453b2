import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { ModelEditorProvider } from './custom-editor';
import { HostContext } from './host-context';
import { SideViewProvider } from './side-view';
import { watchServerSecrets } from './servers';

let context: HostContext | undefined;

export function activate(extension: vscode.ExtensionContext): void {
  const ctx = new HostContext(extension);
  context = ctx;
  extension.subscriptions.push(ctx);
  registerCommands(ctx);
  ctx.push(
    ModelEditorProvider.register(ctx),
    SideViewProvider.register(ctx),
    ...watchServerSecrets(ctx),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!ctx.engineStarted) return;
      if (Config.affectsSettings(e)) {
        await ctx.engine().reconfigure().then(
          () => ctx.log.info('engine settings updated'),
          (err: unknown) => ctx.log.warn(`engine settings not applied: ${err instanceof Error ? err.message : String(err)}`),
        );
      }
      if (!Config.needsRestart(e)) return;
      const choice = await vscode.window.showInformationMessage('Model Inspector: restart the engine to apply the new settings.', 'Restart Engine');
      if (choice) await vscode.commands.executeCommand('modelInspector.restartEngine');
    }),
  );
  ctx.log.info(`activated (workspace ${ctx.trusted ? 'trusted' : 'in Restricted Mode'})`);
}

export function deactivate(): void {
  context?.dispose();
  context = undefined;
}
