import { binaryPackage } from './devices';

/** Resolves a package's manifest without loading it (node-llama-cpp is ESM and starts native code on import). */
export function resolvable(pkg: string, resolve: (id: string) => string = require.resolve): boolean {
  try {
    resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** True when node-llama-cpp and this platform's CPU build are installed; else what is missing, in one sentence. */
export function llamaInstalled(resolve?: (id: string) => string): true | string {
  if (!resolvable('node-llama-cpp', resolve)) return 'llama.cpp is not installed: the node-llama-cpp package is missing from this build';
  const cpu = binaryPackage('cpu');
  if (!cpu) return `llama.cpp has no prebuilt binary for ${process.platform}-${process.arch}`;
  if (!resolvable(cpu, resolve)) return `the llama.cpp binary is missing: ${cpu} (3.21.1) is not installed`;
  return true;
}
