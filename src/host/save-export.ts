import * as vscode from 'vscode';
import type { SaveExportParams } from '../protocol/webview';
import { RpcError } from '../protocol/wire';
import { defaultExportPath, exportBytes, targetProblem } from './export-target';
import type { HostContext } from './host-context';

/**
 * Saves a graph export from a model panel: a save dialog next to the model, then workspace.fs. Webviews cannot
 * download files, so the graph tab hands the data to the host. Returns the saved path, or null when cancelled.
 */
export async function saveExport(ctx: HostContext, modelUri: vscode.Uri, p: SaveExportParams): Promise<{ path: string } | null> {
  const checked = exportBytes(p);
  if ('problem' in checked) throw new RpcError('bad-request', checked.problem);
  const modelPath = modelUri.scheme === 'file' ? modelUri.fsPath : undefined;
  const defaultUri = modelPath ? vscode.Uri.file(defaultExportPath(modelPath, p.kind)) : vscode.workspace.workspaceFolders?.[0] ? vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, p.fileName) : undefined;
  const filters: Record<string, string[]> = p.kind === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] };
  const extensionRoots = [ctx.extensionUri.fsPath, ...vscode.extensions.all.map((e) => e.extensionUri.fsPath)];
  for (;;) {
    const target = await vscode.window.showSaveDialog({ title: `Save graph as ${p.kind.toUpperCase()}`, defaultUri, filters, saveLabel: 'Save' });
    if (!target) return null;
    const problem = targetProblem(target.scheme === 'file' ? target.fsPath : target.path, modelPath, extensionRoots);
    if (!problem) {
      await vscode.workspace.fs.writeFile(target, checked.bytes);
      ctx.log.info(`graph export saved to ${target.fsPath} (${checked.bytes.length} bytes)`);
      return { path: target.fsPath };
    }
    const again = 'Choose Another';
    if ((await vscode.window.showWarningMessage(`Cannot save the export there: ${problem}.`, again)) !== again) return null;
  }
}
