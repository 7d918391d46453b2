import * as vscode from 'vscode';
import type { HostContext } from './host-context';
import { ModelHandle } from './model-handle';
import { PanelSession, reportEngineStop } from './panel-session';
import { saveExport } from './save-export';
import { pickModelFile, pickTokenizerFile } from './pick-model';
import { setupWebview, webviewTransport } from './webview-setup';

export const MODEL_VIEW_TYPE = 'modelInspector.modelViewer';

/** A model file opened in one or more panels. The document is just the path; the engine holds the model. */
class ModelDocument implements vscode.CustomDocument {
  readonly handle: ModelHandle;
  readonly sessions = new Set<PanelSession>();
  private readonly crashSub: vscode.Disposable;
  onDispose?: () => void;

  constructor(readonly uri: vscode.Uri, ctx: HostContext) {
    const fileName = uri.path.split('/').pop() || uri.toString();
    const path = uri.scheme === 'file' ? uri.fsPath : undefined;
    this.handle = new ModelHandle(path, fileName, () => ctx.engine(), ctx.logFn, `is not a file on disk (${uri.scheme}: URIs are not supported)`);
    this.crashSub = ctx.onEngineCrash((reason) => reportEngineStop(this.handle, this.sessions, reason));
  }

  dispose(): void {
    this.onDispose?.();
    this.crashSub.dispose();
    for (const s of this.sessions) s.dispose();
    this.sessions.clear();
    void this.handle.close();
  }
}

/**
 * Read-only custom editor for .onnx (default) and model.json (optional). Several panels may show one document;
 * each gets its own PanelSession (RPC endpoint) and all share the document's engine model.
 */
export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider<ModelDocument> {
  /** Open documents by URI, so a command can reach the panels of a model ("Compare With…"). */
  private static readonly documents = new Map<string, ModelDocument>();
  /** "Compare With…" targets for panels that are still being created, by model URI. */
  private static readonly pendingCompare = new Map<string, string>();

  constructor(private readonly ctx: HostContext) {}

  /** Has the panel of `uri` (already open, or about to open) compare its model with `other`. */
  static compare(uri: vscode.Uri, other: string): void {
    const session = [...(ModelEditorProvider.documents.get(uri.toString())?.sessions ?? [])].at(-1);
    if (session) session.startCompare(other);
    else ModelEditorProvider.pendingCompare.set(uri.toString(), other);
  }

  static register(ctx: HostContext): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(MODEL_VIEW_TYPE, new ModelEditorProvider(ctx), {
      supportsMultipleEditorsPerDocument: true,
      // Off: the page reloads when shown again and restores its tab from webview state; no hidden memory cost.
      webviewOptions: { retainContextWhenHidden: false },
    });
  }

  openCustomDocument(uri: vscode.Uri): ModelDocument {
    const doc = new ModelDocument(uri, this.ctx);
    ModelEditorProvider.documents.set(uri.toString(), doc);
    doc.onDispose = () => {
      if (ModelEditorProvider.documents.get(uri.toString()) === doc) ModelEditorProvider.documents.delete(uri.toString());
    };
    return doc;
  }

  resolveCustomEditor(document: ModelDocument, panel: vscode.WebviewPanel): void {
    const { ctx } = this;
    const model = document.handle;
    setupWebview(panel.webview, ctx.extensionUri, 'panel', model.fileName);
    const session = new PanelSession({
      transport: webviewTransport(panel.webview, (m) => ctx.log.debug(`postMessage to ${model.fileName} failed: ${m}`)),
      model,
      engine: () => ctx.engine(),
      isTrusted: () => ctx.trusted,
      log: ctx.logFn,
      onSelectNode: (nodeId, graph) => ctx.nodeSelected(model, nodeId, graph),
      onExplained: (items) => ctx.explained(model, items),
      onPromptExplained: (summary) => ctx.promptExplained(model, summary),
      pickTokenizer: () => pickTokenizerFile(vscode.Uri.joinPath(document.uri, '..')),
      prefs: ctx.state,
      saveExport: (params) => saveExport(ctx, document.uri, params),
      pickCompareTarget: () => pickModelFile('Compare With', vscode.Uri.joinPath(document.uri, '..')), // A's folder, not A
    });
    document.sessions.add(session);
    const pending = ModelEditorProvider.pendingCompare.get(document.uri.toString());
    if (pending) {
      ModelEditorProvider.pendingCompare.delete(document.uri.toString());
      session.startCompare(pending);
    }
    // The side view follows the active model panel; refresh it once the summary is known.
    void model.open().then(() => ctx.refreshActive(model), () => undefined);
    if (panel.active) ctx.setActive(model);
    const subs = [
      panel.onDidChangeViewState(() => {
        if (panel.active) ctx.setActive(model);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => session.setTrusted(true)),
    ];
    panel.onDidDispose(() => {
      subs.forEach((s) => s.dispose());
      session.dispose();
      document.sessions.delete(session);
      if (ctx.active === model && document.sessions.size === 0) ctx.setActive(undefined);
    });
  }
}
