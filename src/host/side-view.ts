import * as vscode from 'vscode';
import type { ActiveModelListener, HostContext } from './host-context';
import type { ModelHandle } from './model-handle';
import type { ExplanationSummary, PromptExplanationSummary } from '../protocol/explain-summary';
import { WebviewChannel } from './webview-channel';
import { explainSelection, type NodeSelectedPayload } from './node-explanation';
import { setupWebview, webviewTransport } from './webview-setup';

export const SIDE_VIEW_ID = 'modelInspector.explanations';

/**
 * The Explanations view in its own activity-bar container: a short summary of the active model, the selected
 * node and the last explanation (kept here so a view opened later still shows it). It only listens: the page makes no requests.
 */
export class SideViewProvider implements vscode.WebviewViewProvider, ActiveModelListener {
  private channel: WebviewChannel | undefined;
  private model: ModelHandle | undefined;
  private selected: NodeSelectedPayload | undefined;
  /** Bumped by every selection and model change: a slower explanation of an older selection is dropped. */
  private selectSeq = 0;
  /** The newest explanation, of an image-like input (items per method) or of a prompt: whichever came last. */
  private explanation: { items: ExplanationSummary[] } | { prompt: PromptExplanationSummary } | undefined;

  constructor(private readonly ctx: HostContext) {}

  static register(ctx: HostContext): vscode.Disposable {
    const provider = new SideViewProvider(ctx);
    ctx.setActiveListener(provider);
    return vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, provider);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    setupWebview(view.webview, this.ctx.extensionUri, 'sidebar', 'Model Inspector');
    this.channel?.dispose();
    const channel = new WebviewChannel(
      webviewTransport(view.webview, (m) => this.ctx.log.debug(`postMessage to the side view failed: ${m}`)),
      {},
      (rpc) => {
        rpc.emit('init', { view: 'sidebar', fileName: this.model?.fileName ?? '', trusted: this.ctx.trusted });
        rpc.emit('activeModel', { summary: this.model?.summary ?? null });
        if (this.selected) rpc.emit('nodeSelected', this.selected);
        if (this.explanation) this.emitExplanation(rpc.emit.bind(rpc));
      },
      this.ctx.logFn,
    );
    this.channel = channel;
    view.onDidDispose(() => {
      channel.dispose();
      if (this.channel === channel) this.channel = undefined;
    });
  }

  activeModelChanged(model: ModelHandle | undefined): void {
    if (model !== this.model) {
      this.selected = undefined;
      this.selectSeq++;
    }
    this.model = model;
    this.channel?.emit('activeModel', { summary: model?.summary ?? null });
  }

  nodeSelected(model: ModelHandle, nodeId: string, graph?: string): void {
    const seq = ++this.selectSeq;
    void explainSelection(() => this.ctx.engine(), model, nodeId, graph, (payload) => {
      if (seq !== this.selectSeq) return false;
      this.selected = payload;
      this.channel?.emit('nodeSelected', payload);
      return true;
    });
  }

  explained(_model: ModelHandle, items: ExplanationSummary[]): void {
    this.explanation = { items };
    if (this.channel) this.emitExplanation(this.channel.emit.bind(this.channel));
  }

  promptExplained(_model: ModelHandle, summary: PromptExplanationSummary): void {
    this.explanation = { prompt: summary };
    if (this.channel) this.emitExplanation(this.channel.emit.bind(this.channel));
  }

  private emitExplanation(emit: WebviewChannel['emit']): void {
    const e = this.explanation;
    if (!e) return;
    if ('prompt' in e) emit('promptExplanation', e.prompt);
    else emit('explanation', { items: e.items });
  }
}
