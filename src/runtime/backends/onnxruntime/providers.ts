import { listSupportedBackends } from 'onnxruntime-node';
import { preferredDevices } from '../../settings';
import { NO_VULKAN_LOADER, vulkanLoaderFound } from '../../gpu-libraries';

// Which ORT execution providers to try, in order. ORT silently appends CPU for nodes an EP cannot take, but creating a
// session with a single EP that cannot initialise throws: so each EP is tried alone and the first that loads wins.

export { ORT_PROVIDERS } from './devices';

/**
 * The order to try when a request names none: the user's `modelInspector.executionProviders` (sent by the host in
 * the engine's settings only when the user set it), else the GPU providers this platform could have, then cpu.
 */
export function defaultOnnxProviders(platform: NodeJS.Platform = process.platform, preferred = preferredDevices('onnxruntime')): string[] {
  if (preferred?.length) return preferred;
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  if (platform === 'win32') return ['webgpu', 'cuda', 'dml', 'cpu'];
  return ['webgpu', 'cuda', 'cpu'];
}

export interface ProviderInfo {
  name: string;
  /** In this onnxruntime-node build at all. */
  listed: boolean;
  /** Shipped inside the package (cuda/tensorrt need separately installed libraries). */
  bundled: boolean;
}

let listedCache: Map<string, boolean> | undefined;

/** Providers this onnxruntime-node build knows, from ORT's own `listSupportedBackends()`. */
export function onnxProviderInfo(name: string): ProviderInfo {
  listedCache ??= new Map(listSupportedBackends().map((b) => [b.name, b.bundled]));
  const bundled = listedCache.get(name);
  return { name, listed: bundled !== undefined, bundled: bundled ?? false };
}

/**
 * Failures that depend on the machine, not the model (library missing, no adapter): remembered for the process so
 * every later load skips the provider at once with the same reason.
 */
const machineFailures = new Map<string, string>();
const MACHINE_FAILURE = /backend not found|Failed to load shared library|cannot open shared object|adapter|not compiled|no available backend/i;

export function knownFailure(ep: string): string | undefined {
  const known = machineFailures.get(ep);
  if (known) return known;
  // WebGPU on Linux runs on Vulkan. Without a Vulkan loader the provider cannot start, and trying costs a warning that
  // Dawn prints straight to stderr (through every CLI run and into the engine log): say so before trying.
  if (ep === 'webgpu' && process.platform === 'linux' && !vulkanLoaderFound()) {
    const reason = `WebGPU on Linux runs on Vulkan; ${NO_VULKAN_LOADER}`;
    machineFailures.set(ep, reason);
    return reason;
  }
  return undefined;
}


export function rememberFailure(ep: string, reason: string): void {
  if (MACHINE_FAILURE.test(reason)) machineFailures.set(ep, reason);
}

/** Short human reason for an EP creation failure. */
export function explainFailure(ep: string, raw: string): string {
  // ORT prefixes its messages with a source location and the failed C++ condition; the sentence after is the reason.
  let message = raw.replace(/^.*? was false\.\s*/, '').replace(/^\/onnxruntime_src\/\S+\s+/, '');
  if (message.length > 300) message = message.slice(0, 299) + '…';
  const info = onnxProviderInfo(ep);
  if (!info.listed) return `not available in this onnxruntime-node build (${process.platform}-${process.arch})`;
  if (/Failed to load shared library/i.test(message)) return `not installed: its provider library could not be loaded (${message})`;
  return `failed to initialise: ${message}`;
}
