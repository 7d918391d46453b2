import * as vscode from 'vscode';
import type { Transport } from '../protocol/rpc';
import type { ViewKind } from '../protocol/webview';
import { buildWebviewHtml, LOCAL_RESOURCE_ROOTS, makeNonce } from './webview-html';

/** Webviews may load only our own bundle and media: nothing else in the extension or the workspace. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: LOCAL_RESOURCE_ROOTS.map((segments) => vscode.Uri.joinPath(extensionUri, ...segments)),
  };
}

/** Sets options and HTML (with a fresh nonce) on a panel's or view's webview. */
export function setupWebview(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewKind, title: string): void {
  webview.options = webviewOptions(extensionUri);
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', name)).toString();
  webview.html = buildWebviewHtml({
    cspSource: webview.cspSource,
    scriptUri: asset('main.js'),
    styleUri: asset('main.css'),
    nonce: makeNonce(),
    view,
    title,
    layoutWorkerUri: view === 'panel' ? asset('layout-worker.js') : undefined,
  });
}

/** RpcEndpoint transport over a webview's postMessage. */
export function webviewTransport(webview: vscode.Webview, onSendError: (message: string) => void): Transport {
  return {
    send: (msg) => {
      webview.postMessage(msg).then(undefined, (e: unknown) => onSendError(e instanceof Error ? e.message : String(e)));
    },
    listen: (handler) => {
      const sub = webview.onDidReceiveMessage(handler);
      return () => sub.dispose();
    },
  };
}
