import * as vscode from 'vscode';

export type TfjsBackend = 'auto' | 'node' | 'wasm' | 'cpu';

const SECTION = 'modelInspector';
const DEFAULT_PROVIDERS = ['webgpu', 'cuda', 'dml', 'coreml', 'cpu'];

/**
 * Typed access to the `modelInspector.*` settings (declared in package.json). All three are read by the engine
 * at start, so a change needs an engine restart; `affectsEngine` says when.
 */
export class Config {
  private get raw(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** ONNX Runtime execution providers in order of preference; unavailable ones are skipped at run time. */
  get executionProviders(): string[] {
    const v = this.raw.get<unknown>('executionProviders');
    return Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0 ? v : DEFAULT_PROVIDERS;
  }

  get tfjsBackend(): TfjsBackend {
    const v = this.raw.get<string>('tfjsBackend');
    return v === 'node' || v === 'wasm' || v === 'cpu' ? v : 'auto';
  }

  /** Heap limit of the engine process in MiB; undefined = automatic (half the RAM, 2..8 GiB). */
  get engineMaxMemoryMB(): number | undefined {
    const v = this.raw.get<number>('engine.maxMemoryMB');
    return typeof v === 'number' && Number.isFinite(v) && v >= 512 ? Math.floor(v) : undefined;
  }

  /** What the engine process gets: it reads these at start. */
  engineEnv(): Record<string, string> {
    return {
      MODEL_INSPECTOR_EXECUTION_PROVIDERS: this.executionProviders.join(','),
      MODEL_INSPECTOR_TFJS_BACKEND: this.tfjsBackend,
    };
  }

  static affectsEngine(e: vscode.ConfigurationChangeEvent): boolean {
    return ['executionProviders', 'tfjsBackend', 'engine.maxMemoryMB'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
  }
}
