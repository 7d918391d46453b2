import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
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

/**
 * Bundles scripts/run-unit-tests.mjs made once for the whole run (test/support/prebuild-bundles.ts), so two dozen test
 * files do not each spend seconds bundling the same sources. A file run on its own builds its own.
 */
const SHARED = { engine: process.env.MI_TEST_ENGINE_BUNDLE, cli: process.env.MI_TEST_CLI_BUNDLE };
const shared = (which: keyof typeof SHARED): string | undefined => {
  const p = SHARED[which];
  return p && existsSync(p) ? p : undefined;
};

/** The engine process entry (what the host forks as dist/engine/main.js). */
export const buildEngine = async () => shared('engine') ?? buildNodeEntry('src/engine/main.ts', 'engine');

/** The command line (dist/cli.js). */
export const buildCli = async () => shared('cli') ?? buildNodeEntry('src/cli.ts', 'cli');

/** Removes a bundle made by buildNodeEntry (its private folder); the run's shared bundles stay for the other files. */
export function removeBuild(bundle: string): void {
  if (bundle === SHARED.engine || bundle === SHARED.cli) return;
  const dir = dirname(bundle);
  if (dir.startsWith(join(root, 'dist-test'))) rmSync(dir, { recursive: true, force: true });
}
