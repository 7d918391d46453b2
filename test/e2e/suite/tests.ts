// The extension-host tests themselves, against the real `vscode` API of the installed (packaged) extension.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import * as vscode from 'vscode';

const extensionId = 'model-inspector.model-inspector';
const viewType = 'modelInspector.modelViewer';

function ourExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(extensionId);
  ok(ext, `extension ${extensionId} is not installed`);
  return ext;
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  ok(folder, 'the test workbench has no folder open');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Default of a setting as declared in our package.json `contributes.configuration`. */
function declaredDefault(ext: vscode.Extension<unknown>, key: string): unknown {
  const cfg = (ext.packageJSON as { contributes?: { configuration?: unknown } }).contributes?.configuration;
  const sections = (Array.isArray(cfg) ? cfg : [cfg]) as { properties?: Record<string, { default?: unknown }> }[];
  for (const s of sections) if (s?.properties && key in s.properties) return s.properties[key].default;
  throw new Error(`${key} is not declared in contributes.configuration`);
}

export const tests: Record<string, () => Promise<void>> = {
  async 'extension activates'() {
    const ext = ourExtension();
    await ext.activate();
    ok(ext.isActive, 'extension did not become active');
  },

  async 'commands are registered'() {
    const all = new Set(await vscode.commands.getCommands(true));
    for (const c of ['modelInspector.inspect', 'modelInspector.inspectPick', 'modelInspector.restartEngine']) ok(all.has(c), `command ${c} is missing`);
  },

  async 'configuration defaults match package.json'() {
    const ext = ourExtension();
    const cfg = vscode.workspace.getConfiguration('modelInspector');
    // Empty: the platform's own order (the engine decides; no list stands for "the default").
    deepStrictEqual(cfg.get('executionProviders'), []);
    deepStrictEqual(cfg.get('llamaCpp.devices'), declaredDefault(ext, 'modelInspector.llamaCpp.devices'));
    deepStrictEqual(cfg.get('executionProviders'), declaredDefault(ext, 'modelInspector.executionProviders'));
    strictEqual(cfg.get('tfjsBackend'), declaredDefault(ext, 'modelInspector.tfjsBackend'));
    strictEqual(cfg.get('tfjsBackend'), 'auto');
  },

  async 'vscode.openWith opens the model in our custom editor'() {
    const uri = workspaceFile('tiny-cnn.onnx');
    await vscode.commands.executeCommand('vscode.openWith', uri, viewType);
    const active = () => vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    await until(() => active() instanceof vscode.TabInputCustom, 'a custom editor tab');
    const input = active() as vscode.TabInputCustom;
    strictEqual(input.viewType, viewType);
    strictEqual(input.uri.fsPath, uri.fsPath);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  },

  async 'a .onnx file opens with our viewer by default'() {
    const uri = workspaceFile('tiny-cnn.onnx');
    await vscode.commands.executeCommand('vscode.open', uri);
    const active = () => vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    await until(() => active() instanceof vscode.TabInputCustom, 'the default editor for .onnx');
    strictEqual((active() as vscode.TabInputCustom).viewType, viewType);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  },

  async 'the packaged onnxruntime-node loads and runs in this extension host'() {
    // The engine is forked with this same Node, so loading the VSIX's copy here proves the shipped binaries work.
    const ext = ourExtension();
    const req = createRequire(join(ext.extensionPath, 'package.json'));
    const ort = req(join(ext.extensionPath, 'dist/node_modules/onnxruntime-node')) as typeof Ort;
    const session = await ort.InferenceSession.create(workspaceFile('tiny-cnn.onnx').fsPath);
    try {
      const out = await session.run({ image: new ort.Tensor('float32', new Float32Array(64).fill(0.5), [1, 1, 8, 8]) });
      const probs = Array.from(out[session.outputNames[0]].data as Float32Array);
      strictEqual(probs.length, 10);
      ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, `softmax output does not sum to 1: ${probs.join(', ')}`);
    } finally {
      await session.release();
    }
  },

  async 'the extension host outlives an engine killed mid-job'() {
    // Needs code-server started with MODEL_INSPECTOR_TEST_HOOKS=1 (test/e2e/driver/server.ts does).
    ok((await vscode.commands.getCommands(true)).includes('modelInspector.crashEngineForTest'), 'the test-only crash command is not registered');
    const first = await vscode.commands.executeCommand<string>('modelInspector.crashEngineForTest');
    ok(/exit|crash|signal|SIGKILL/i.test(first) && !/did not crash/.test(first), `the job on the killed engine ended with "${first}"`);
    ok(ourExtension().isActive, 'the extension was deactivated by the engine crash');
    // The next job starts a fresh engine: the same command runs its sleep there and sees that engine die too.
    const second = await vscode.commands.executeCommand<string>('modelInspector.crashEngineForTest');
    ok(/exit|crash|signal|SIGKILL/i.test(second) && !/while starting|stopped/.test(second), `the job on the restarted engine ended with "${second}"`);
    await vscode.commands.executeCommand('modelInspector.restartEngine');
    ok(ourExtension().isActive, 'the extension is no longer active');
  },
};
