import * as vscode from 'vscode';
import type { EngineSettings, ServerBinding } from '../protocol/settings';
import { BACKEND_DEVICES } from '../protocol/devices';
import { resolveServers, SecretCache } from './server-settings';

export type TfjsBackend = 'auto' | 'node' | 'wasm' | 'cpu';

const SECTION = 'modelInspector';

function tfjsOrder(b: TfjsBackend): string[] | undefined {
  const start = TFJS_START[b];
  return start === undefined ? undefined : BACKEND_DEVICES.tfjs.slice(start);
}
/** `modelInspector.tfjsBackend` as a TF.js device order: where to start, later ones kept as fallbacks. */
const TFJS_START: Record<TfjsBackend, number | undefined> = { auto: undefined, node: 0, wasm: 1, cpu: 2 };

/**
 * Typed access to the `modelInspector.*` settings (declared in package.json). The engine gets them as one typed
 * `configure` request (`engineSettings`), at start and on every change; only the heap limit needs a restart.
 */
export class Config {
  /** Inference-server credentials, filled from SecretStorage (src/host/servers.ts); memory only. */
  readonly secrets = new SecretCache();

  constructor(private readonly warn: (message: string) => void = () => undefined) {}

  private get raw(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** A device list the user set somewhere (user, workspace or folder), or undefined for the backend's own order. */
  private devices(key: string): string[] | undefined {
    const i = this.raw.inspect<unknown>(key);
    const set = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    return Array.isArray(set) && set.length > 0 && set.every((x) => typeof x === 'string') ? set : undefined;
  }

  /** ONNX Runtime execution providers in order of preference, when the user chose them. */
  get executionProviders(): string[] | undefined {
    return this.devices('executionProviders');
  }

  get tfjsBackend(): TfjsBackend {
    const v = this.raw.get<string>('tfjsBackend');
    return v === 'node' || v === 'wasm' || v === 'cpu' ? v : 'auto';
  }

  /** llama.cpp builds in order of preference, when the user chose them. */
  get llamaDevices(): string[] | undefined {
    return this.devices('llamaCpp.devices');
  }

  /** Heap limit of the engine process in MiB; undefined = automatic (half the RAM, 2..8 GiB). */
  get engineMaxMemoryMB(): number | undefined {
    const v = this.raw.get<number>('engine.maxMemoryMB');
    return typeof v === 'number' && Number.isFinite(v) && v >= 512 ? Math.floor(v) : undefined;
  }

  /**
   * Model files bound to inference servers, by absolute path. None in Restricted Mode: nothing runs there, and no
   * credential leaves for a server a workspace named.
   */
  get servers(): Record<string, ServerBinding> {
    if (!vscode.workspace.isTrusted) return {};
    return resolveServers(this.raw.get<unknown>('servers'), vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, this.warn);
  }

  /** What the engine is configured with (backend ids as in src/runtime/backends/<id>). */
  engineSettings(): EngineSettings {
    const servers = this.servers;
    const secrets = this.secrets.forServers(servers);
    return {
      devices: { onnxruntime: this.executionProviders, tfjs: tfjsOrder(this.tfjsBackend), 'llama-cpp': this.llamaDevices },
      ...(Object.keys(servers).length ? { servers } : {}),
      ...(Object.keys(secrets).length ? { secrets } : {}),
    };
  }

  /** Settings the running engine takes through `configure`. */
  static affectsSettings(e: vscode.ConfigurationChangeEvent): boolean {
    return ['executionProviders', 'tfjsBackend', 'llamaCpp.devices', 'servers'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
  }

  /** Settings a running engine cannot take: its heap limit is fixed when it starts. */
  static needsRestart(e: vscode.ConfigurationChangeEvent): boolean {
    return e.affectsConfiguration(`${SECTION}.engine.maxMemoryMB`);
  }
}
