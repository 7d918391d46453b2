import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';

// Which ORT execution providers to try, in order. ORT silently appends CPU for nodes an EP cannot take, but creating a
// session with a single EP that cannot initialise throws: so each EP is tried alone and the first that loads wins.

export const ORT_PROVIDERS = ['webgpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'cpu'] as const;

/** The setting's default value (package.json): it means "the platform's own order", not a literal list. */
const SETTING_DEFAULT = 'webgpu,cuda,dml,coreml,cpu';

/**
 * The order to try when a request names none: the user's `modelInspector.executionProviders` (the host passes it in
 * MODEL_INSPECTOR_EXECUTION_PROVIDERS), else the GPU providers this platform could have, then cpu.
 */
export function defaultOnnxProviders(platform: NodeJS.Platform = process.platform, env = process.env.MODEL_INSPECTOR_EXECUTION_PROVIDERS): string[] {
  const fromSetting = (env ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (fromSetting.length && fromSetting.join(',') !== SETTING_DEFAULT) return fromSetting;
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
    const reason = 'no Vulkan loader (libvulkan.so.1) on this machine: WebGPU on Linux needs libvulkan1 and the GPU\'s Vulkan driver';
    machineFailures.set(ep, reason);
    return reason;
  }
  return undefined;
}

const SYSTEM_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

/**
 * Whether the dynamic loader could find libvulkan.so.1: in LD_LIBRARY_PATH, the folders the ld.so.conf files name, or
 * the usual library folders. (A loader found by other means is not seen; the provider is then reported unavailable.)
 */
export function vulkanLoaderFound(env = process.env, confDir = '/etc/ld.so.conf.d', systemDirs = SYSTEM_LIB_DIRS): boolean {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  try {
    for (const f of readdirSync(confDir).filter((n) => n.endsWith('.conf'))) {
      for (const line of readFileSync(join(confDir, f), 'utf8').split('\n')) if (line.trim().startsWith('/')) dirs.push(line.trim());
    }
  } catch {
    // no ld.so.conf.d: the usual folders below
  }
  dirs.push(...systemDirs);
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
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
