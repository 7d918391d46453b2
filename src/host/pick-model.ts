import * as vscode from 'vscode';
import { FORMATS } from './model-files';

/** File-dialog extensions of the catalog's formats (a pattern's last dot part: onnx, json, pb, …). */
function modelExtensions(runnable: boolean): string[] {
  return [...new Set(FORMATS.filter((f) => f.runs || !runnable).flatMap((f) => [...f.files, ...f.optionFiles].map((g) => g.split('.').pop()!.toLowerCase())))];
}

/** Asks for one model file (of any format, or of one a runtime executes); its path, or undefined when cancelled. */
export async function pickModelFile(title: string, near?: vscode.Uri, opts: { runnable?: boolean } = {}): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel: title.split(' ')[0],
    canSelectMany: false,
    defaultUri: near ?? vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { Models: modelExtensions(!!opts.runnable), 'All files': ['*'] },
  });
  const uri = picked?.[0];
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

/** Asks for a Hugging Face tokenizer.json for a language model; its path, or undefined when cancelled. */
export async function pickTokenizerFile(near?: vscode.Uri): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Tokenizer for this model (tokenizer.json)',
    openLabel: 'Use',
    canSelectMany: false,
    defaultUri: near ?? vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { 'Tokenizer (tokenizer.json)': ['json'], 'All files': ['*'] },
  });
  const uri = picked?.[0];
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}
