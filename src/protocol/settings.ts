import type { Check } from './validate';
import { arrayOf, num, obj, optional, str } from './validate';
import { ALL_DEVICES, BACKEND_DEVICES } from './devices';

/** One local model file bound to a model on an Open Inference Protocol (KServe v2) server. */
export interface ServerBinding {
  /** The server's base URL (http or https), without the `/v2` part: `https://triton.example:8000`. */
  url: string;
  /** The model's name on the server. */
  model: string;
  /** The model version; absent lets the server choose. */
  version?: string;
  /** Per-request timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Samples per inference request when the server's own configuration does not say. */
  maxBatch?: number;
  /** Largest response body accepted, in MiB (default 256). */
  maxResponseMB?: number;
}

/** What the server said when the model was loaded on it: shown with every result that ran there. */
export interface ServerStatus {
  url: string;
  model: string;
  /** The version asked for, else the only one the server lists, else null (the server picks). */
  version: string | null;
  /** From `GET /v2`. */
  serverName: string;
  serverVersion: string;
  /** The served model's framework, from its metadata (`onnxruntime_onnx`, `openvino`, …). */
  platform: string;
  /** `/v2/health/live`, `/v2/health/ready` and the model's `/ready` at load. */
  live: boolean;
  ready: boolean;
  modelReady: boolean;
  /** Tensors travel as binary data (the server lists `binary_tensor_data`), else as JSON. */
  binary: boolean;
  /** Samples per request, and where that limit comes from; null: no limit known, batches go whole. */
  maxBatch: number | null;
  maxBatchFrom: 'server' | 'setting' | null;
  /** Set when the file declares nothing to check the served model against. */
  unchecked?: string;
}

/**
 * A credential for one server origin: sent as this header on requests to that origin only. The host reads it from
 * VS Code's SecretStorage (the CLI from its environment); it travels in memory, never in settings files.
 */
export interface ServerSecret {
  /** Header name, e.g. `authorization` (a bearer token) or `x-api-key`. */
  header: string;
  value: string;
}

/**
 * The engine's settings, sent by the host as one typed `configure` request (at start and whenever a setting changes)
 * and set directly by the CLI. A device list left undefined means "the backend's own order for this platform";
 * there is no sentinel value that means "the default".
 */
export interface EngineSettings {
  /** Preferred devices/providers per runtime backend id, in order (e.g. onnxruntime: ['cuda', 'cpu']). */
  devices: Record<string, string[] | undefined>;
  /** Model files (absolute paths) whose forward passes run on an inference server instead of here. */
  servers?: Record<string, ServerBinding>;
  /** Credentials by server origin (`https://host:port`), kept apart from `servers` so that nothing logs them with it. */
  secrets?: Record<string, ServerSecret>;
}

export const EMPTY_SETTINGS: EngineSettings = { devices: {} };

/** A device or provider name some backend defines (`cuda`, `tfjs-wasm`, `vulkan`). */
export const deviceName = (x: unknown, p: string): string | undefined =>
  str(32)(x, p) ?? (ALL_DEVICES.includes(x as string) ? undefined : `${p} must be one of ${ALL_DEVICES.join(', ')}`);

/** An http(s) URL with a host and nothing after the path (no credentials, query or fragment). */
export const serverUrl: Check = (x, p) => {
  const s = str(2048)(x, p);
  if (s) return s;
  let u: URL;
  try {
    u = new URL(x as string);
  } catch {
    return `${p} is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${p} must be an http or https URL`;
  if (u.username || u.password) return `${p} must not hold credentials (set a token with "Model Inspector: Set Inference Server Token")`;
  if (u.search || u.hash) return `${p} must not have a query or fragment`;
  return undefined;
};

/** Names as servers spell them: no slashes or spaces (they go into URL paths). */
const pathSegment = (max: number): Check => (x, p) => str(max)(x, p) ?? (/^[\w.:@+-]+$/.test(x as string) ? undefined : `${p} must be a name without slashes or spaces`);

export const bindingCheck: Check = obj({
  url: serverUrl,
  model: pathSegment(256),
  version: optional(pathSegment(64)),
  timeoutMs: optional(num(100, 3_600_000, true)),
  maxBatch: optional(num(1, 65_536, true)),
  maxResponseMB: optional(num(1, 65_536, true)),
});

/** HTTP header names (RFC 9110 tokens) and values without line breaks. */
const secretCheck: Check = obj({
  header: (x, p) => str(64)(x, p) ?? (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(x as string) ? undefined : `${p} is not a header name`),
  value: (x, p) => str(8192)(x, p) ?? (/[\r\n\0]/.test(x as string) ? `${p} must be one line` : undefined),
});

const record = (keyCheck: Check, valueCheck: Check, max: number): Check => (x, p) => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${p} must be an object`;
  const entries = Object.entries(x);
  if (entries.length > max) return `${p} has too many entries`;
  for (const [k, v] of entries) {
    const problem = keyCheck(k, `${p} key`) ?? valueCheck(v, `${p}[${JSON.stringify(k.slice(0, 80))}]`);
    if (problem) return problem;
  }
  return undefined;
};

export const settingsCheck: Check = obj({
  devices: record((k, p) => (Object.hasOwn(BACKEND_DEVICES, k as string) ? undefined : `${p} ${String(k).slice(0, 40)} is not a backend`), optional(arrayOf(deviceName, 16)), 16),
  servers: optional(record(str(4096), bindingCheck, 1024)),
  secrets: optional(record(serverUrl, secretCheck, 256)),
});
