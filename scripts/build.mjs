// Bundles the four entry points with esbuild. Native packages stay external and are copied next to the
// bundles (dist/node_modules) for the VSIX, limited to the target platform's binaries.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');
const target = (process.argv.find((a) => a.startsWith('--target=')) ?? `--target=${process.platform}-${process.arch}`).slice(9);
const [platform, arch] = target.split('-');
// A build for a named target is for the VSIX: leave out source maps (they were a third of the package).
const packaging = process.argv.some((a) => a.startsWith('--target='));

// Loaded at run time from dist/node_modules (native) or optional (tfjs-node): never bundled.
const nativeExternals = ['onnxruntime-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp', 'node-llama-cpp'];

// ESM dependencies bundled into CJS (h5wasm's emscripten module calls createRequire(import.meta.url)) get the bundle's own URL.
const cjsMeta = { define: { 'import.meta.url': '__mi_import_meta_url' }, inject: [join(root, 'scripts/import-meta-url.js')] };
const common = { bundle: true, sourcemap: !packaging, logLevel: 'warning', legalComments: 'none', minify: !watch && process.env.MI_MINIFY !== '0' };

async function workerSource() {
  const r = await esbuild.build({ ...common, sourcemap: false, write: false, entryPoints: ['webview/graph/layout-worker.ts'], platform: 'browser', format: 'iife', target: 'chrome120' });
  return r.outputFiles[0].text;
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const builds = [
  { ...common, entryPoints: { 'host/extension': 'src/host/extension.ts' }, platform: 'node', format: 'cjs', target: 'node20', outdir: dist, external: ['vscode'], ...cjsMeta },
  // stats/scan-worker: the weight-statistics worker thread the engine and the CLI start (src/stats/scan-pool.ts).
  { ...common, entryPoints: { 'engine/main': 'src/engine/main.ts', cli: 'src/cli.ts', 'stats/scan-worker': 'src/stats/scan-worker.ts' }, platform: 'node', format: 'cjs', target: 'node20', outdir: dist, external: nativeExternals, ...cjsMeta },
  // The graph's layout Web Worker is also inlined into main.js (see below): VS Code serves webview resources from
  // another origin than the page, so `new Worker(url)` is refused there, while a blob: worker is allowed by the CSP.
  { ...common, entryPoints: { 'webview/main': 'webview/main.ts' }, platform: 'browser', format: 'iife', target: 'chrome120', outdir: dist, loader: { '.ttf': 'file', '.woff2': 'file' }, define: { __MI_LAYOUT_WORKER_SOURCE__: JSON.stringify(await workerSource()) } },
  { ...common, entryPoints: { 'webview/layout-worker': 'webview/graph/layout-worker.ts' }, platform: 'browser', format: 'iife', target: 'chrome120', outdir: dist },
].filter((b) => Object.values(b.entryPoints).every((e) => existsSync(join(root, e))));

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

if (existsSync(join(dist, 'cli.js'))) {
  const cli = join(dist, 'cli.js');
  writeFileSync(cli, '#!/usr/bin/env node\n' + readFileSync(cli, 'utf8'));
  chmodSync(cli, 0o755);
}

// tfjs' WASM backend loads its .wasm files from a folder we name at run time.
const wasmSrc = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
mkdirSync(join(dist, 'wasm'), { recursive: true });
for (const f of readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) cpSync(join(wasmSrc, f), join(dist, 'wasm', f));

// The native packages the bundles load at run time, under dist/node_modules for the target platform only. Their
// JavaScript (and that of their JS dependencies) is bundled into one file at the package's entry point, so the VSIX
// carries a handful of files rather than ~150 (vsce warns past 100 .js files); the native parts are copied as they
// are, where that file's relative requires find them (../bin/napi-v6/<platform>/<arch>/, @img/sharp-<platform>-<arch>).
const nm = (...p) => join(root, 'node_modules', ...p);
const out = (...p) => join(dist, 'node_modules', ...p);
async function bundlePackage(pkg, entry, external, licensesOf = []) {
  await esbuild.build({ entryPoints: [nm(pkg, entry)], outfile: out(pkg, entry), bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, legalComments: 'none', logLevel: 'error', external });
  cpSync(nm(pkg, 'package.json'), out(pkg, 'package.json'));
  // The licences of everything folded into the one file travel with it.
  for (const dep of [pkg, ...licensesOf]) {
    const lic = readdirSync(nm(dep)).find((f) => /^licen[cs]e/i.test(f));
    if (lic) cpSync(nm(dep, lic), out(pkg, dep === pkg ? lic : `LICENSE.${dep.replace('/', '-')}`));
  }
}

// onnxruntime-node (with onnxruntime-common folded in) and its binaries for the target platform.
await bundlePackage('onnxruntime-node', 'dist/index.js', ['*.node'], ['onnxruntime-common']);
for (const napi of readdirSync(nm('onnxruntime-node', 'bin'))) {
  const from = nm('onnxruntime-node', 'bin', napi, platform, arch);
  if (existsSync(from)) cpSync(from, out('onnxruntime-node', 'bin', napi, platform, arch), { recursive: true });
}

// sharp (image files as inputs; detect-libc, semver and @img/colour folded in) and its native parts for the target
// platform. The bundles require it lazily, so a build without it still runs (image inputs then say why they cannot).
const sharpNative = [`@img/sharp-${platform}-${arch}`, `@img/sharp-libvips-${platform}-${arch}`];
if (existsSync(nm('sharp')) && sharpNative.every((p) => existsSync(nm(p)))) {
  await bundlePackage('sharp', 'lib/index.js', ['*.node', '@img/sharp-*'], ['detect-libc', 'semver', '@img/colour']);
  for (const pkg of sharpNative) cpSync(nm(pkg), out(pkg), { recursive: true, filter: (src) => !/\.(map|d\.ts)$|README\.md$/.test(src) });
} else {
  console.warn(`build: sharp or ${sharpNative.join(' / ')} is not installed here; image inputs will be unavailable in this build`);
}

// node-llama-cpp (GGUF) with its JavaScript dependencies and this platform's CPU build, copied as they are: it must
// keep its own file layout (it tests its native binding in a child process started from its own file, and reads its
// package.json by relative path). GPU builds (-cuda, -vulkan: hundreds of MB) are not shipped: the README says how a
// user adds them next to it. Files only the CLI tools and the source build need are left out.
function dependenciesOf(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const deps = Object.keys(manifest.dependencies ?? {});
  // Packages nested in its own node_modules (other versions) are copied with it, but their dependencies may be hoisted.
  const nested = join(dir, 'node_modules');
  if (existsSync(nested)) {
    for (const e of readdirSync(nested)) {
      const names = e.startsWith('@') ? readdirSync(join(nested, e)).map((n) => `${e}/${n}`) : e.startsWith('.') ? [] : [e];
      for (const n of names) if (existsSync(join(nested, n, 'package.json'))) deps.push(...dependenciesOf(join(nested, n)));
    }
  }
  return deps;
}
function copyWithDependencies(pkg, seen = new Set()) {
  if (seen.has(pkg) || !existsSync(nm(pkg))) return seen;
  seen.add(pkg);
  cpSync(nm(pkg), out(pkg), { recursive: true, filter: (src) => !/\.(map|d\.ts|md)$|[\\/](gitRelease\.bundle|llama\.cpp|templates|docs)$/.test(src) });
  for (const dep of dependenciesOf(nm(pkg))) copyWithDependencies(dep, seen);
  return seen;
}
const llamaOs = platform === 'win32' ? 'win' : platform === 'darwin' ? 'mac' : platform;
const llamaCpu = platform === 'darwin' && arch === 'arm64' ? '@node-llama-cpp/mac-arm64-metal' : `@node-llama-cpp/${llamaOs}-${arch}`;
if (packaging && existsSync(nm('node-llama-cpp')) && existsSync(nm(llamaCpu))) {
  const copied = copyWithDependencies('node-llama-cpp');
  // ggml loads the best CPU variant this processor supports; variants that a kept one covers almost as well are left
  // out to keep the VSIX under its limit (AVX-512: skylakex/icelake/zen4/sapphirerapids kept; AVX: sandybridge kept).
  const coveredVariants = /libggml-cpu-(cannonlake|cascadelake|cooperlake|ivybridge|piledriver)\.(so|dll|dylib)$/;
  cpSync(nm(llamaCpu), out(llamaCpu), { recursive: true, filter: (src) => !coveredVariants.test(src) });
  console.log(`build: node-llama-cpp with ${copied.size - 1} dependencies and ${llamaCpu}`);
} else if (packaging) {
  console.warn(`build: node-llama-cpp or ${llamaCpu} is not installed here; GGUF models will not run from this package`);
}

console.log(`built ${builds.length} bundles for ${target} into dist/`);
