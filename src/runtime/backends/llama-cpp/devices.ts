import { BACKEND_DEVICES } from '../../../protocol/devices';

/** llama.cpp builds node-llama-cpp ships as npm packages, best first; `cpu` is the build every platform has. */
export const LLAMA_DEVICES = BACKEND_DEVICES['llama-cpp'];

/** The prebuilt-binary package of one device on this platform (installed beside node-llama-cpp, never downloaded). */
export function binaryPackage(device: string, platform = process.platform, arch = process.arch): string | undefined {
  const os = platform === 'win32' ? 'win' : platform === 'darwin' ? 'mac' : platform;
  if (device === 'cpu') return platform === 'darwin' && arch === 'arm64' ? '@node-llama-cpp/mac-arm64-metal' : `@node-llama-cpp/${os}-${arch}`;
  if (device === 'metal') return platform === 'darwin' && arch === 'arm64' ? '@node-llama-cpp/mac-arm64-metal' : undefined;
  if (device === 'cuda' || device === 'vulkan') return platform === 'darwin' ? undefined : `@node-llama-cpp/${os}-${arch}-${device}`;
  return undefined;
}

/** The platform's own order when the user names none. */
export function defaultLlamaDevices(platform = process.platform): string[] {
  return platform === 'darwin' ? ['metal', 'cpu'] : ['cuda', 'vulkan', 'cpu'];
}
