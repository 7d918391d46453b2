import { EMPTY_SETTINGS, type EngineSettings } from '../protocol/settings';

// The process's engine settings: the engine sets them from the host's `configure` request, the CLI from its flags.
// Backends read them when they choose a device; nothing reads settings from the environment.
let current: EngineSettings = EMPTY_SETTINGS;
let generation = 0;

export function configureRuntime(settings: EngineSettings): void {
  const next = { devices: { ...settings.devices } };
  if (JSON.stringify(next) === JSON.stringify(current)) return;
  current = next;
  generation++;
}

/** Changes with every new setting: cached sessions loaded under older settings are not reused. */
export function settingsGeneration(): number {
  return generation;
}

/** The user's preferred device order for one backend, or undefined for the backend's own platform order. */
export function preferredDevices(backendId: string): string[] | undefined {
  const d = current.devices[backendId];
  return d?.length ? [...d] : undefined;
}
