import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPackage } from './devices';

/**
 * Whether a package is installed where this code would load it from, without loading it (node-llama-cpp is ESM and
 * starts native code on import, and its `exports` hide package.json from require.resolve).
 */
export function resolvable(pkg: string, paths: readonly string[] = require.resolve.paths(pkg) ?? []): boolean {
  return paths.some((dir) => existsSync(join(dir, pkg, 'package.json')));
}

/** True when node-llama-cpp and this platform's CPU build are installed; else what is missing, in one sentence. */
export function llamaInstalled(paths?: readonly string[]): true | string {
  if (!resolvable('node-llama-cpp', paths)) return 'llama.cpp is not installed: the node-llama-cpp package is missing from this build';
  const cpu = binaryPackage('cpu');
  if (!cpu) return `llama.cpp has no prebuilt binary for ${process.platform}-${process.arch}`;
  if (!resolvable(cpu, paths)) return `the llama.cpp binary is missing: ${cpu} (3.21.1) is not installed`;
  return true;
}
