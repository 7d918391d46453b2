import { EMPTY_SETTINGS, type EngineSettings, type ServerBinding, type ServerSecret } from '../protocol/settings';

// The process's engine settings: the engine sets them from the host's `configure` request, the CLI from its flags.
// Backends read them when they choose a device; nothing reads settings from the environment.
let current: EngineSettings = EMPTY_SETTINGS;
let generation = 0;

export function configureRuntime(settings: EngineSettings): void {
  const next: EngineSettings = {
    devices: { ...settings.devices },
    ...(settings.servers ? { servers: { ...settings.servers } } : {}),
    ...(settings.secrets ? { secrets: { ...settings.secrets } } : {}),
  };
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

/** The inference server this model file is bound to, if any. */
export function serverFor(modelPath: string): ServerBinding | undefined {
  const s = current.servers;
  return s && Object.prototype.hasOwnProperty.call(s, modelPath) ? s[modelPath] : undefined;
}

/** The credential for one origin (`https://host:port`), if the user set one. */
export function secretFor(origin: string): ServerSecret | undefined {
  const s = current.secrets;
  return s && Object.prototype.hasOwnProperty.call(s, origin) ? s[origin] : undefined;
}
