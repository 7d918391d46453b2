import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/**
 * Bundles src/engine/main.ts the way scripts/build.mjs does, into a private folder under dist-test/ (inside the
 * repo so the native externals resolve from node_modules, and not dist/ which a parallel full build wipes).
 * Returns the bundle's absolute path.
 */
export async function buildEngine(tag = 'engine'): Promise<string> {
  const outdir = join(root, 'dist-test', `${tag}-${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { main: join(root, 'src/engine/main.ts') },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outdir,
    sourcemap: 'inline',
    logLevel: 'silent',
    external: ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp'],
  });
  return join(outdir, 'main.js');
}
