import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { SkippedProvider } from '../../../protocol/run';
import { oneLine } from '../../../model/errors';
import { preferredDevices } from '../../settings';
import { registerWasmConv2dFilterGrad, registerWasmDepthwiseInputGrad } from './wasm-conv-grads';

// TF.js has one global backend per process. We pick it once, in order: tfjs-node (native, optional peer dependency),
// the WASM backend, then plain JS cpu, and remember what was skipped and why so every result can say so.

import { TFJS_BACKENDS } from './devices';
export { TFJS_BACKENDS };
const TF_NAME: Record<string, string> = { 'tfjs-node': 'tensorflow', 'tfjs-wasm': 'wasm', 'tfjs-cpu': 'cpu' };

/** Map a user's provider list (which may hold ORT names) to TF.js backends; 'cpu' means tfjs-cpu. */
export function tfjsOrder(providers: string[] | undefined, preferred = preferredDevices('tfjs')): { order: string[]; skipped: SkippedProvider[] } {
  // The settings' order (`modelInspector.tfjsBackend` arrives as a device list), else all three.
  if (!providers?.length) providers = preferred ?? [...TFJS_BACKENDS];
  const order: string[] = [];
  const skipped: SkippedProvider[] = [];
  for (const p of providers) {
    const name = p === 'cpu' ? 'tfjs-cpu' : p;
    if ((TFJS_BACKENDS as readonly string[]).includes(name)) order.push(name);
    else skipped.push({ provider: p, reason: 'is an onnxruntime execution provider; TF.js models run on tfjs-node, tfjs-wasm or tfjs-cpu' });
  }
  return { order, skipped };
}

/** The folder holding tfjs-backend-wasm's .wasm files: dist/wasm next to the bundle, else the package's own dist/. */
export function wasmDir(): string | undefined {
  const candidates = [join(__dirname, 'wasm'), join(__dirname, '..', 'wasm')];
  try {
    candidates.push(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')));
  } catch {
    // not resolvable from a bundle: the dist/wasm candidates cover that case
  }
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'tfjs-backend-wasm.wasm')));
}

const failures = new Map<string, string>();
let configured = false;

async function tryBackend(name: string): Promise<void> {
  if (name === 'tfjs-node') {
    try {
      // Optional peer dependency: a plain require so bundlers leave it external.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-node');
    } catch (e) {
      throw new Error(`not installed (${oneLine(e, 400).replace(/\s*Require stack:.*$/, '')})`);
    }
  } else if (name === 'tfjs-wasm') {
    const dir = wasmDir();
    if (!dir) throw new Error('not installed: tfjs-backend-wasm .wasm files not found');
    setWasmPaths(dir.endsWith('/') ? dir : dir + '/');
    // Saliency needs these gradients; tfjs-backend-wasm has no kernels for them.
    registerWasmConv2dFilterGrad();
    registerWasmDepthwiseInputGrad();
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(TF_NAME[name]);
  } catch (e) {
    throw new Error(`failed to initialise: ${oneLine(e)}`);
  }
  if (!ok) throw new Error('failed to initialise (tf.setBackend returned false)');
}

/** Selects the first backend in order that initialises (cached per process) and returns it with the skipped ones. */
export async function selectTfjsBackend(providers: string[] | undefined): Promise<{ provider: string; skipped: SkippedProvider[] }> {
  if (!configured) {
    configured = true;
    tf.env().set('PROD', true); // silences tfjs' console advice, which would corrupt `--json` output
  }
  const { order, skipped } = tfjsOrder(providers);
  for (const name of order) {
    const known = failures.get(name);
    if (known) {
      skipped.push({ provider: name, reason: known });
      continue;
    }
    try {
      await tryBackend(name);
      return { provider: name, skipped };
    } catch (e) {
      const reason = oneLine(e);
      failures.set(name, reason);
      skipped.push({ provider: name, reason });
    }
  }
  throw new Error(`no TF.js backend could be initialised (${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')})`);
}

/** Make `provider` the active backend again (another session may have switched it). */
export async function activate(provider: string): Promise<void> {
  const name = TF_NAME[provider];
  if (tf.getBackend() !== name) await tf.setBackend(name);
}
