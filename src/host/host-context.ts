import * as vscode from 'vscode';
import { EngineClient } from '../engine/client';
import { Config } from './config';
import type { ModelHandle } from './model-handle';
import type { ExplanationSummary, PromptExplanationSummary } from '../protocol/explain-summary';
import { hostStateSchema, StateStore, type HostState } from './state-store';
import type { LogFn } from './webview-channel';

/** What the side view needs to hear about (implemented by side-view.ts). */
export interface ActiveModelListener {
  activeModelChanged(model: ModelHandle | undefined): void;
  nodeSelected(model: ModelHandle, nodeId: string, graph?: string): void;
  explained(model: ModelHandle, items: ExplanationSummary[]): void;
  promptExplained(model: ModelHandle, summary: PromptExplanationSummary): void;
}

/**
 * Owns everything the extension creates: disposables, the log channel, the config, and the one engine process
 * (started on first use, not at activation, so opening VS Code costs nothing).
 */
export class HostContext implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly config = new Config((m) => this.log.warn(m));
  /** Everything remembered across sessions goes through this validated store (never globalState directly). */
  readonly state: StateStore<HostState>;
  private readonly disposables: vscode.Disposable[] = [];
  private engineClient: EngineClient | undefined;
  private readonly crashListeners = new Set<(reason: string) => void>();
  private activeModel: ModelHandle | undefined;
  private activeListener: ActiveModelListener | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Model Inspector', { log: true });
    this.push(this.log);
    this.state = new StateStore<HostState>(extension.globalState, hostStateSchema, (m) => this.log.warn(m));
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  readonly logFn: LogFn = (level, message) => this.log[level](message);

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  engine(): EngineClient {
    if (!this.engineClient) {
      const client = new EngineClient({
        enginePath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'engine', 'main.js').fsPath,
        maxOldSpaceMb: this.config.engineMaxMemoryMB,
        settings: () => this.config.engineSettings(),
      });
      client.onLog(({ level, message }) => this.log[level](`engine: ${message}`));
      client.onReady((info) => this.log.info(`engine ready (pid ${info.pid}, version ${info.version})`));
      client.onCrash((reason) => {
        this.log.error(`engine crashed: ${reason}`);
        for (const l of this.crashListeners) l(reason);
      });
      this.engineClient = client;
    }
    return this.engineClient;
  }

  /** False until something needed the engine: settings changes then need no restart. */
  get engineStarted(): boolean {
    return this.engineClient !== undefined;
  }

  /** Every open model is gone after a crash; documents listen to mark themselves stale and tell their panels. */
  onEngineCrash(listener: (reason: string) => void): vscode.Disposable {
    this.crashListeners.add(listener);
    return new vscode.Disposable(() => this.crashListeners.delete(listener));
  }

  /** Replaces the engine with a fresh one (new settings apply); open models are reported as stopped. */
  async restartEngine(): Promise<void> {
    const old = this.engineClient;
    this.engineClient = undefined;
    if (old) {
      old.dispose();
      for (const l of this.crashListeners) l('the engine was restarted');
    }
    await this.engine().start();
  }

  get active(): ModelHandle | undefined {
    return this.activeModel;
  }

  setActiveListener(l: ActiveModelListener): void {
    this.activeListener = l;
  }

  setActive(model: ModelHandle | undefined): void {
    if (this.activeModel === model) return;
    this.activeModel = model;
    this.activeListener?.activeModelChanged(model);
  }

  /** A panel whose model finished opening (or reopened) refreshes the side view if it is the active one. */
  refreshActive(model: ModelHandle): void {
    if (this.activeModel === model) this.activeListener?.activeModelChanged(model);
  }

  nodeSelected(model: ModelHandle, nodeId: string, graph?: string): void {
    if (this.activeModel === model) this.activeListener?.nodeSelected(model, nodeId, graph);
  }

  /** The side view shows the newest explanation of any open model (it names the file). */
  explained(model: ModelHandle, items: ExplanationSummary[]): void {
    this.activeListener?.explained(model, items);
  }

  /** A prompt explanation (a language model's tokens) replaces the side view's last explanation the same way. */
  promptExplained(model: ModelHandle, summary: PromptExplanationSummary): void {
    this.activeListener?.promptExplained(model, summary);
  }

  dispose(): void {
    this.engineClient?.dispose();
    this.engineClient = undefined;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        console.error('model-inspector: dispose failed', e);
      }
    }
  }
}
