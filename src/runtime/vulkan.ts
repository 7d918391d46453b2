import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SYSTEM_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

/**
 * Whether the dynamic loader could find libvulkan.so.1: in LD_LIBRARY_PATH, the folders the ld.so.conf files name, or
 * the usual library folders. (A loader found by other means is not seen; the device is then reported unavailable.)
 * Used by every backend with a Vulkan device (onnxruntime's WebGPU, llama.cpp's Vulkan build).
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

export const NO_VULKAN_LOADER = 'no Vulkan loader (libvulkan.so.1) on this machine: it needs libvulkan1 and the GPU\'s Vulkan driver';
