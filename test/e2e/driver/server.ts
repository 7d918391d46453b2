// Node-side control of the e2e environment: package the VSIX, install it into code-server, start/stop the server
// (the shell scripts in test/e2e/scripts do the work so a person can run the same steps by hand), and bundle the
// in-extension-host test suite.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import { paths } from './paths';

/** Runs fn and prints `TIMING label: Ns` when it finishes (after the promise settles, for async fn). */
export function timed<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const done = () => console.log(`TIMING ${label}: ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  const r = fn();
  if (r instanceof Promise) return r.finally(done) as T;
  done();
  return r;
}

function sh(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('bash', [join(paths.scripts, script), ...args], {
    cwd: paths.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env },
  });
}

export const vsixLimitBytes = 40 * 1024 * 1024;

/** `npm run package` (unless MI_VSIX names a ready one); returns the path and prints the size. */
export function packageVsix(): { path: string; bytes: number } {
  let path = process.env.MI_VSIX;
  if (!path) {
    path = join(paths.root, 'dist-vsix/model-inspector-linux-x64.vsix');
    timed('npm run package', () => execFileSync('npm', ['run', '--silent', 'package'], { cwd: paths.root, stdio: ['ignore', 'ignore', 'inherit'] }));
  }
  const bytes = statSync(path).size;
  console.log(`VSIX ${path}: ${(bytes / 1024 / 1024).toFixed(2)} MB (${bytes} bytes, limit ${vsixLimitBytes / 1024 / 1024} MB)`);
  return { path, bytes };
}

export function setupCodeServer(): void {
  process.stdout.write(sh('setup.sh'));
}

export function installVsix(vsix: string): void {
  process.stdout.write(sh('install-vsix.sh', [vsix]));
}

/** The folder code-server unpacked our VSIX into. */
export function installedExtensionDir(): string {
  const dir = readdirSync(paths.extensions).find((d) => d.startsWith('model-inspector.model-inspector-'));
  if (!dir) throw new Error(`the VSIX is not installed in ${paths.extensions}`);
  return join(paths.extensions, dir);
}

/** Starts every run from the committed user settings (dark theme, no telemetry) and keybindings (a key for the
 *  test-only crash command, which has no menu entry), whatever an earlier run left. */
export function resetUserSettings(): void {
  mkdirSync(dirname(paths.userSettings), { recursive: true });
  copyFileSync(join(paths.root, 'test/e2e/settings.json'), paths.userSettings);
  copyFileSync(join(paths.root, 'test/e2e/keybindings.json'), join(dirname(paths.userSettings), 'keybindings.json'));
}

/** The key test/e2e/keybindings.json binds to modelInspector.crashEngineForTest. */
export const crashEngineKey = 'Control+Alt+Shift+F9';

/** Starts code-server with the engine's test hooks on: the extension host inherits the server's environment, and the
 *  engine client forwards it to the forked engine (crashForTest / sleepForTest answer only then). */
export function startServer(): void {
  process.stdout.write(sh('start.sh', [paths.workspaces], { MODEL_INSPECTOR_TEST_HOOKS: '1' }));
}

export function stopServer(): void {
  process.stdout.write(sh('stop.sh'));
}

/** A fresh workspace folder per scenario, so editors restored from one scenario never leak into the next. */
export function makeWorkspace(name: string, files: Record<string, string>): string {
  const dir = join(paths.workspaces, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) cpSync(from, join(dir, to), { recursive: true });
  return dir;
}

/** Bundles test/e2e/suite (the tests that run inside the extension host) into one CommonJS file. */
export async function bundleSuite(): Promise<string> {
  rmSync(paths.suiteResults, { force: true });
  await esbuild.build({
    entryPoints: [join(paths.root, 'test/e2e/suite/index.ts')],
    outfile: paths.suiteBundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  return paths.suiteBundle;
}

/** A model from Debian's libonnx-testdata, e.g. `pytorch-converted/test_Conv2d`. */
export function conformanceModel(name: string): string {
  const p = join(paths.conformance, name, 'model.onnx');
  if (!existsSync(p)) throw new Error(`${p} is missing: apt-get install libonnx-testdata`);
  return p;
}
