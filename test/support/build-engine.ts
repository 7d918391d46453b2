import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/**
 * Bundles one Node entry the way scripts/build.mjs does, into a private folder under dist-test/ (inside the repo
 * so the native externals resolve from node_modules; not dist/, which a parallel full build wipes).
 * Returns the bundle's absolute path.
 */
export async function buildNodeEntry(entry: string, tag: string): Promise<string> {
  const outdir = join(root, 'dist-test', `${tag}-${process.pid}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    // With the stats worker beside it, where the bundle looks for it (as dist/stats/scan-worker.js beside dist/cli.js).
    entryPoints: { main: join(root, entry), 'stats/scan-worker': join(root, 'src/stats/scan-worker.ts') },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outdir,
    sourcemap: 'linked', // a 20+ MB inline map would slow every engine start in the tests
    logLevel: 'silent',
    external: ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp', 'node-llama-cpp'],
    // As scripts/build.mjs: bundled ESM dependencies (h5wasm) get the bundle's import.meta.url.
    define: { 'import.meta.url': '__mi_import_meta_url' },
    inject: [join(root, 'scripts/import-meta-url.js')],
  });
  return join(outdir, 'main.js');
}

/** The engine process entry (what the host forks as dist/engine/main.js). */
export const buildEngine = () => buildNodeEntry('src/engine/main.ts', 'engine');

/** The command line (dist/cli.js). */
export const buildCli = () => buildNodeEntry('src/cli.ts', 'cli');

/** Removes a bundle made by buildNodeEntry (its private folder). */
export function removeBuild(bundle: string): void {
  const dir = dirname(bundle);
  if (dir.startsWith(join(root, 'dist-test'))) rmSync(dir, { recursive: true, force: true });
}
