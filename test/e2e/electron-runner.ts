// Runs the extension-host suite (test/e2e/suite) in a downloaded desktop VS Code through @vscode/test-electron, for
// machines that can download VS Code (this project's CI cannot: it uses code-server, see e2e.test.ts).
// Usage: node --import tsx test/e2e/electron-runner.ts   (after `npm run build`; set MI_VSCODE_VERSION to pin a version)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { bundleSuite, makeWorkspace } from './driver/server';
import { paths } from './driver/paths';

async function main(): Promise<void> {
  const suite = await bundleSuite();
  const workspace = makeWorkspace('electron', { 'tiny-cnn.onnx': join(paths.examples, 'tiny-cnn.onnx') });
  const userData = mkdtempSync(join(tmpdir(), 'mi-vscode-'));
  try {
    await runTests({
      version: process.env.MI_VSCODE_VERSION ?? 'stable',
      // The dev folder: its dist/ (npm run build) must include dist/node_modules/onnxruntime-node for this platform.
      extensionDevelopmentPath: paths.root,
      extensionTestsPath: suite,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userData}`],
    });
  } finally {
    rmSync(userData, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
