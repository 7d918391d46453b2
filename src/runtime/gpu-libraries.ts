import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SYSTEM_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

/**
 * Whether the dynamic loader could find a shared library: in LD_LIBRARY_PATH, the folders the ld.so.conf files name,
 * or the usual library folders. (One found by other means is not seen; the device is then reported unavailable.)
 * Backends ask before trying a GPU device, so a machine without the driver is told why at once, without the
 * seconds and the stderr noise of a failed native start.
 */
export function systemLibraryFound(file: string, env = process.env, confDir = '/etc/ld.so.conf.d', systemDirs = SYSTEM_LIB_DIRS): boolean {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  try {
    for (const f of readdirSync(confDir).filter((n) => n.endsWith('.conf'))) {
      for (const line of readFileSync(join(confDir, f), 'utf8').split('\n')) if (line.trim().startsWith('/')) dirs.push(line.trim());
    }
  } catch {
    // no ld.so.conf.d: the usual folders below
  }
  dirs.push(...systemDirs);
  return dirs.some((d) => existsSync(join(d, file)));
}

/** The Vulkan loader: onnxruntime's WebGPU on Linux and llama.cpp's Vulkan build need it. */
export function vulkanLoaderFound(env = process.env, confDir = '/etc/ld.so.conf.d', systemDirs = SYSTEM_LIB_DIRS): boolean {
  return systemLibraryFound('libvulkan.so.1', env, confDir, systemDirs);
}

/** The NVIDIA driver's CUDA library, which every CUDA build needs. */
export function cudaDriverFound(): boolean {
  return process.platform !== 'linux' || systemLibraryFound('libcuda.so.1');
}

export const NO_VULKAN_LOADER = 'no Vulkan loader (libvulkan.so.1) on this machine: it needs libvulkan1 and the GPU\'s Vulkan driver';

export const NO_CUDA_DRIVER = 'no NVIDIA driver (libcuda.so.1) on this machine: CUDA needs an NVIDIA GPU, its driver and the CUDA 12.4+ runtime';
