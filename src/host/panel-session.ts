// vscode-free: what one model panel's webview may ask the host, and what the host tells it.
import type { Handlers, HandlerContext, Transport } from '../protocol/rpc';
import type { ForwardedMethods } from '../protocol/forwarded';
import type { ExplainResult } from '../protocol/explain';
import type { ExplanationSummary, PromptExplanationSummary } from '../protocol/explain-summary';
import { summarizeExplanation, summarizePromptExplanation } from '../protocol/explain-summary';
import type { PromptExplainResult } from '../protocol/prompt';
import { forwardedMethodNames } from '../protocol/forwarded';
import type { SaveExportParams, WebviewMethods } from '../protocol/webview';
import { RpcError } from '../protocol/wire';
import type { EngineCaller, ModelHandle } from './model-handle';
import { withFileName } from './model-handle';
import { runPrefsHandlers, tokenizerPrefHandlers, type RunPrefsState } from './run-prefs';
import { needsTrust, restrictedModeMessage } from './trust';
import { WebviewChannel, type LogFn } from './webview-channel';

export interface PanelSessionDeps {
  transport: Transport;
  model: ModelHandle;
  engine: () => EngineCaller;
  isTrusted(): boolean;
  log: LogFn;
  onSelectNode?(nodeId: string, graph?: string): void;
  /** An explain call finished: its per-method summaries (for the side view's "last explanation"). */
  onExplained?(items: ExplanationSummary[]): void;
  /** An explainPrompt call finished: its summary (the side view's "last explanation" of a language model). */
  onPromptExplained?(summary: PromptExplanationSummary): void;
  /** Asks the user for a tokenizer.json (an open dialog); undefined when cancelled. */
  pickTokenizer?(): Promise<string | undefined>;
  /** Where the Run tab's inputs are remembered per model (none: nothing is remembered). */
  prefs?: RunPrefsState;
  /** Saves a graph export (the save dialog lives in save-export.ts); none: exports cannot be saved. */
  saveExport?(params: SaveExportParams): Promise<{ path: string } | null>;
  /** Asks the user for the model to compare with (a file dialog); undefined when cancelled. */
  pickCompareTarget?(): Promise<string | undefined>;
}

/**
 * One panel: answers the ready handshake with `init`, serves `getOverview` and `retry`, and forwards every feature
 * method to the engine with the panel's modelId added (cancellation and progress pass straight through).
 * Open failures and engine crashes reach the page as an `error` event; details go to the log.
 */
export class PanelSession {
  private readonly channel: WebviewChannel;
  /** The model Compare runs against: picked in the tab, or given by "Compare With…". */
  private compareTarget: string | undefined;
  /** "Compare With…" arrived before the page said ready: told once it does. */
  private compareAnnounce = false;

  constructor(private readonly deps: PanelSessionDeps) {
    this.channel = new WebviewChannel(deps.transport, this.handlers(), (rpc) => {
      rpc.emit('init', { view: 'panel', fileName: deps.model.fileName, trusted: deps.isTrusted() });
      if (this.compareAnnounce && this.compareTarget) rpc.emit('compareWith', { other: baseName(this.compareTarget) });
      this.compareAnnounce = false;
      rpc.on('selectNode', ({ nodeId, graph }) => deps.onSelectNode?.(nodeId, graph || undefined));
      rpc.on('log', ({ level, message }) => deps.log(level, `${deps.model.fileName} view: ${message}`));
    }, deps.log);
  }

  get model(): ModelHandle {
    return this.deps.model;
  }

  /** "Compare With…": remembers `other` and has the page open its Compare tab (now, or when it is ready). */
  startCompare(other: string): void {
    this.compareTarget = other;
    if (this.channel.current) this.channel.emit('compareWith', { other: baseName(other) });
    else this.compareAnnounce = true;
  }

  setTrusted(trusted: boolean): void {
    this.channel.emit('trust', { trusted });
  }

  /** Shows the error view in the page (with Retry when `retryable`). */
  showError(message: string, retryable = true): void {
    this.channel.emit('error', { message: withFileName(this.deps.model.fileName, message), retryable });
  }

  dispose(): void {
    this.channel.dispose();
  }

  private handlers(): Partial<Handlers<WebviewMethods>> {
    const { model } = this.deps;
    const handlers: Partial<Handlers<WebviewMethods>> = {
      getOverview: async () => {
        try {
          return (await model.open()).summary;
        } catch (e) {
          const err = RpcError.from(e);
          if (err.code !== 'cancelled' && err.code !== 'disposed') this.showError(err.message);
          throw err;
        }
      },
      retry: async () => {
        await model.reset();
      },
      ...(this.deps.prefs
        ? runPrefsHandlers(this.deps.prefs, model, this.deps.log)
        : { getRunPrefs: () => null, setRunPrefs: () => undefined }),
      ...tokenizerPrefHandlers(this.deps.prefs, model, () => this.deps.pickTokenizer?.() ?? Promise.resolve(undefined), this.deps.log),
      compareWith: async ({ pick, outputs }, ctx) => {
        if (pick || !this.compareTarget) {
          const picked = await this.deps.pickCompareTarget?.();
          if (!picked) return null;
          this.compareTarget = picked;
        }
        // Comparing structure and weights only reads files; running both models needs trust, like Run.
        const run = !!outputs && this.deps.isTrusted();
        const { modelId } = await model.open();
        return this.deps.engine().call('compare', { modelId, other: this.compareTarget, outputs: run }, { signal: ctx.signal, onProgress: ctx.progress });
      },
      saveExport: (params) => {
        if (!this.deps.saveExport) throw new RpcError('failed', `${model.fileName}: saving exports is not available here`);
        return this.deps.saveExport(params);
      },
    };
    const table = handlers as Record<string, (params: unknown, ctx: HandlerContext) => Promise<unknown>>;
    for (const name of forwardedMethodNames) table[name] = (params, ctx) => this.forward(name, params, ctx);
    return handlers;
  }

  private async forward(method: keyof ForwardedMethods & string, params: unknown, ctx: HandlerContext): Promise<unknown> {
    if (needsTrust(method) && !this.deps.isTrusted()) {
      this.deps.log('warn', `${this.deps.model.fileName}: refused ${method} in Restricted Mode`);
      throw new RpcError('untrusted', restrictedModeMessage(`Running ${this.deps.model.fileName} (${method})`, 'it'));
    }
    const { modelId } = await this.deps.model.open();
    // The method name is only known at run time here; the validators already checked params against its type.
    const engine = this.deps.engine() as unknown as { call(m: string, p: unknown, o: object): Promise<unknown> };
    const result = await engine.call(method, { ...(params as object), modelId }, { signal: ctx.signal, onProgress: ctx.progress });
    if (method === 'explain') this.deps.onExplained?.(summarizeExplanation(this.deps.model.fileName, result as ExplainResult));
    if (method === 'explainPrompt') this.deps.onPromptExplained?.(summarizePromptExplanation(this.deps.model.fileName, result as PromptExplainResult));
    return result;
  }
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

/** The engine died or was restarted: the model's id is gone. Every panel showing it gets the error view with Retry. */
export function reportEngineStop(model: ModelHandle, sessions: Iterable<PanelSession>, reason: string): void {
  model.invalidate();
  for (const s of sessions) s.showError(`the model engine stopped (${reason}). Retry to reopen the model.`);
}
