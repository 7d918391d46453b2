import type { Check } from './validate';
import { arrayOf, obj, optional, str } from './validate';
import { ALL_DEVICES, BACKEND_DEVICES } from './devices';

/**
 * The engine's settings, sent by the host as one typed `configure` request (at start and whenever a setting changes)
 * and set directly by the CLI. A device list left undefined means "the backend's own order for this platform";
 * there is no sentinel value that means "the default".
 */
export interface EngineSettings {
  /** Preferred devices/providers per runtime backend id, in order (e.g. onnxruntime: ['cuda', 'cpu']). */
  devices: Record<string, string[] | undefined>;
}

export const EMPTY_SETTINGS: EngineSettings = { devices: {} };

/** A device or provider name some backend defines (`cuda`, `tfjs-wasm`, `vulkan`). */
export const deviceName = (x: unknown, p: string): string | undefined =>
  str(32)(x, p) ?? (ALL_DEVICES.includes(x as string) ? undefined : `${p} must be one of ${ALL_DEVICES.join(', ')}`);

export const settingsCheck: Check = obj({
  devices: (x, p) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${p} must be an object`;
    const entries = Object.entries(x);
    if (entries.length > 16) return `${p} has too many entries`;
    for (const [k, v] of entries) {
      const problem = (Object.hasOwn(BACKEND_DEVICES, k) ? undefined : `${p} key ${k.slice(0, 40)} is not a backend`) ?? optional(arrayOf(deviceName, 16))(v, `${p}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  },
});
