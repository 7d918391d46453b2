import type { LoadOptions, RuntimeSession } from './session';
import type * as OnnxSession from './onnx/session';
import type * as TfjsSession from './tfjs/session';
import { SessionCache } from './session-cache';

/** TF.js models are model.json files; everything else goes to onnxruntime. */
export function isTfjsPath(path: string): boolean {
  return /\.json$/i.test(path);
}

// Runtimes are required lazily: loading tfjs costs ~1 s and onnxruntime a native library, so a process pays only for
// the one it uses. (CommonJS require: the engine and CLI are CJS bundles, and esbuild still bundles these files.)
/* eslint-disable @typescript-eslint/no-require-imports */
export async function loadSession(path: string, opts: LoadOptions = {}): Promise<RuntimeSession> {
  if (isTfjsPath(path)) return (require('./tfjs/session') as typeof TfjsSession).loadTfjs(path, opts);
  return (require('./onnx/session') as typeof OnnxSession).loadOnnx(path, opts);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** The process-wide cache the engine and CLI share. */
export const sessions = new SessionCache(loadSession);
